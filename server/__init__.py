"""The peerspace world server: aiohttp + python-socketio, authoritative rooms.

Where things live:
  app.py        assembles the aiohttp app and the Socket.IO server
  gateway.py    the Socket.IO boundary: auth, validation, rate limits, errors, dispatch
  http_api.py   login and small HTTP endpoints
  auth.py       passwords, signed tokens, role checks
  world/        rooms: membership, avatars in numpy arrays, the tick
  storage/      the store (SQLite file by default)
  cli.py        the `peerspace` command
"""
