"""What every client does (``dictate transcribe``, ``dictate bench``, ``dictate tui``):

* ``connection``: the stream URL, opening the socket, reading messages, the error a close means;
* ``sender``: the one paced sender (start, 20 ms frames on a deadline schedule, end);
* ``dispatch``: the one message dispatcher (a callback per server message type);
* ``sources``: the ``AudioSource`` interface and a file played as if spoken;
* ``stream``: the reconnecting stream of one dictation run, with its pre-roll;
* ``embedded``: a private ``dictate serve`` child process when no --server is given.

Never imports the server's libraries (torch, RealtimeSTT, faster-whisper, FastAPI): tests/unit/test_imports.py
and tests/unit/test_import_graph.py.
"""
