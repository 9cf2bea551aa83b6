"""Hearth's Python worker: runs TorchServe handler files and eager models.

The server starts one process per worker slot as
    /usr/bin/python3 -m hearth_worker --ipc-fd 3 --name W-9000-m_1.0
and speaks proto/worker.proto with it over the socket on fd 3, exactly as it
does with the C++ hearth-worker. Handler code sees TorchServe's API through
the `ts` package beside this one.
"""
