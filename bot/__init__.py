"""The Telegram layer of newsbot."""

import os

# Opt in to PTB's timedelta durations (RetryAfter.retry_after and others), as PTB 22 asks;
# without it every read of a duration warns. The code handles both forms.
os.environ.setdefault("PTB_TIMEDELTA", "1")
