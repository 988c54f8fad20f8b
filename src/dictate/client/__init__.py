"""What every client does (``dictate transcribe``, ``dictate bench``, ``dictate tui``):

* ``connection``: the stream URL, opening the socket, reading messages, the error a close means;
* ``sender``: the one paced sender (start, 20 ms frames on a deadline schedule, end);
* ``dispatch``: the one message dispatcher (a callback per server message type);
* ``embedded``: a private ``dictate serve`` child process when no --server is given.

Never imports the server's libraries (torch, RealtimeSTT, faster-whisper, FastAPI): tests/unit/test_imports.py.
"""
