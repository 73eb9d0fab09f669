"""Runs a page's Python blocks inside the sandbox, in one persistent namespace.

Started by the harness with the page shell's python3; reads framed requests on
stdin and answers on the original stdout. Each block's output (its prints,
and anything its subprocesses write) is captured, and every print is tagged
with the line of the top-level statement that made it, so that `#>` lines
can be checked statement by statement.
"""
import builtins
import io
import json
import os
import struct
import sys
import tempfile
import traceback
import types
from typing import Any

proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(devnull, 0)  # a block that asks for input gets EOF rather than our protocol

# Like `python3 -c`: imports look in the working directory first, not in this script's folder.
sys.path[0] = ""
namespace = {"__name__": "__main__"}
real_print = builtins.print
current: dict[str, Any] = {"filename": None, "prints": None}


def tagged_print(*args, **kwargs):
    if current["filename"] is not None and kwargs.get("file") in (None, sys.stdout):
        frame: types.FrameType | None = sys._getframe(1)
        line = None
        while frame is not None:
            if frame.f_code.co_filename == current["filename"]:
                line = frame.f_lineno  # keep walking out: the outermost frame is the statement
            frame = frame.f_back
        buf = io.StringIO()
        real_print(*args, **{**kwargs, "file": buf})
        current["prints"].append([line, buf.getvalue()])
    real_print(*args, **kwargs)


builtins.print = tagged_print


def read_frame():
    head = proto_in.read(4)
    if len(head) < 4:
        return None
    size = struct.unpack(">I", head)[0]
    data = b""
    while len(data) < size:
        chunk = proto_in.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return json.loads(data)


def write_frame(obj):
    data = json.dumps(obj).encode()
    proto_out.write(struct.pack(">I", len(data)) + data)


def run(request):
    current["filename"], current["prints"] = request["filename"], []
    with tempfile.TemporaryFile() as capture:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(capture.fileno(), 1)
        os.dup2(capture.fileno(), 2)
        error = exc_type = None
        try:
            code = compile(request["code"], request["filename"], "exec")
            exec(code, namespace)
        except BaseException as e:  # noqa: BLE001 - the block's exception is the result
            exc_type = type(e).__name__
            # drop this runner's own frame: the reader's code is what failed
            tb = e.__traceback__
            error = "".join(traceback.format_exception(type(e), e, (tb and tb.tb_next) or tb))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        capture.seek(0)
        output = capture.read(4 * 1024 * 1024).decode("utf-8", "replace")
    prints, current["filename"] = current["prints"], None
    return {"output": output, "error": error, "exc_type": exc_type, "prints": prints}


while True:
    request = read_frame()
    if request is None:
        break
    write_frame(run(request))
