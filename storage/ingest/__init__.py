"""Fetching and parsing what the bot ingests: feeds (RSS, Atom, JSON Feed) and article pages.

Only the network and the parsing live here, so they can be tested without a database or a bot.
"""
