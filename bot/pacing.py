"""Telegram's flood limits as a schedule: when may the next message go to a chat, and at all.

Pure bookkeeping on a monotonic clock (no I/O), so it is tested on its own. Telegram counts
what reaches it; a message is only scheduled after the previous one to the same chat has been
answered, plus the chat's interval, so network jitter can never squeeze two closer together.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """The pace to keep (Telegram's working numbers by default)."""

    private_per_second: float = 1.0
    group_per_minute: int = 20
    global_per_second: int = 30
    #: Extra room on every window against clock and network jitter.
    margin: float = 0.05

    def interval(self, kind: str) -> float:
        """Seconds between two messages to one chat of this kind."""
        if kind == "private":
            return 1.0 / self.private_per_second + self.margin
        return 60.0 / self.group_per_minute + self.margin


class Pacer:
    """Per-chat spacing, the overall window, and pauses asked for by 429 answers.

    The overall window counts each message from its start until one second after Telegram
    answered it: Telegram has received it by then, so however the network delays one message
    and hurries the next, Telegram never sees more than the limit within a second.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._chat_ready: dict[int, float] = {}
        self._in_flight = 0
        self._expiries: deque[float] = deque()  # answered sends leave the window then
        self._last_start = -1e9
        self._paused_until = 0.0

    def chat_ready_at(self, chat_id: int) -> float:
        return self._chat_ready.get(chat_id, 0.0)

    def global_ready_at(self, now: float) -> float:
        """The earliest time a message may start, as far as the overall limit goes."""
        while self._expiries and self._expiries[0] <= now:
            self._expiries.popleft()
        # Evenly spread starts: a burst is legal but makes the network's jitter matter more.
        ready = max(self._paused_until, self._last_start + 1.0 / self.limits.global_per_second)
        if self._in_flight + len(self._expiries) >= self.limits.global_per_second:
            if not self._expiries:  # the whole budget is in flight: wait for an answer
                return float("inf")
            ready = max(ready, self._expiries[0])
        return ready

    def started(self, now: float) -> None:
        self._in_flight += 1
        self._last_start = now

    def answered(self, now: float) -> None:
        """A send got its answer (or failed): it leaves the overall window a second later."""
        self._in_flight = max(self._in_flight - 1, 0)
        self._expiries.append(now + 1.0)

    def finished(self, chat_id: int, kind: str, now: float) -> None:
        """A message to the chat was answered: the next one waits the chat's interval."""
        self._chat_ready[chat_id] = max(
            self._chat_ready.get(chat_id, 0.0), now + self.limits.interval(kind)
        )

    def pause_chat(self, chat_id: int, until: float) -> None:
        self._chat_ready[chat_id] = max(self._chat_ready.get(chat_id, 0.0), until)

    def pause_all(self, until: float) -> None:
        self._paused_until = max(self._paused_until, until)

    def forget(self, chat_id: int) -> None:
        self._chat_ready.pop(chat_id, None)
