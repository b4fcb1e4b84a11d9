"""The Telegram layer of newsbot."""
