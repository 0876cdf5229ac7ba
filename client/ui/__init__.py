"""Keyboard-first 2D interface: login, room list, chat, settings, notices, help."""
