"""Streamer Companion: a desktop companion for Twitch streamers."""

__version__ = "0.1.0"
