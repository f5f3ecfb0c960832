#!/usr/bin/env python3
"""A stand-in for `ibid lsp` that checks the extension's plumbing, not ibid: it logs every message
it gets to $STAND_IN_LOG (default: stand_in.log in $TMPDIR), publishes one `quote-inexact`
diagnostic (source `ibid`) on line 21 of each opened document, answers every hover with
"stand-in hover at L:C", and gives one "quoted in 1 note" code lens running `ibid.showQuotations`.
    BASIC=1 STAND_IN_LOG=/tmp/s.log EXPECT_PROBLEM=quote-inexact PROBLEM_LINE=21 \
      PROBLEM_ON="no state may alter" EXPECT_PROBLEM_HOVER="stand-in hover" MIN_SQUIGGLES=1 \
      EXPECT_HOVER="stand-in hover" \
      editors/vscode/test/code-server/run.sh editors/vscode/test/code-server/stand_in.py
(BASIC=1: go to definition, the term hover, the quick fix and the restart need the real server.)
"""
import json, os, sys
inp, out = sys.stdin.buffer, sys.stdout.buffer
log = open(os.environ.get("STAND_IN_LOG", os.path.join(os.environ.get("TMPDIR", "/tmp"), "stand_in.log")), "a")
log.write("argv %s\n" % sys.argv[1:]); log.flush()
def read():
    h = {}
    while True:
        line = inp.readline()
        if not line: return None
        line = line.strip()
        if not line: break
        k, _, v = line.decode().partition(":"); h[k.strip().lower()] = v.strip()
    return json.loads(inp.read(int(h["content-length"])))
def send(m):
    m["jsonrpc"] = "2.0"; b = json.dumps(m).encode()
    out.write(b"Content-Length: %d\r\n\r\n" % len(b) + b); out.flush()
rng = lambda l, a, b: {"start": {"line": l, "character": a}, "end": {"line": l, "character": b}}
while True:
    m = read()
    if m is None: break
    log.write(json.dumps(m)[:600] + "\n"); log.flush()
    meth = m.get("method")
    if meth == "initialize":
        send({"id": m["id"], "result": {"capabilities": {"textDocumentSync": 1, "hoverProvider": True,
              "codeLensProvider": {"resolveProvider": False},
              "executeCommandProvider": {"commands": ["ibid.showQuotations"]}},
              "serverInfo": {"name": "stand-in", "version": "0"}}})
    elif meth == "textDocument/didOpen":
        uri = m["params"]["textDocument"]["uri"]
        send({"method": "textDocument/publishDiagnostics", "params": {"uri": uri, "diagnostics": [
            {"range": rng(20, 83, 120), "severity": 2, "source": "ibid", "code": "quote-inexact",
             "message": "stand-in: quotation differs from the source"}]}})
    elif meth == "textDocument/hover":
        p = m["params"]["position"]
        send({"id": m["id"], "result": {"contents": {"kind": "markdown",
              "value": "**stand-in hover** at %d:%d" % (p["line"], p["character"])}}})
    elif meth == "textDocument/codeLens":
        uri = m["params"]["textDocument"]["uri"]
        send({"id": m["id"], "result": [{"range": rng(8, 0, 5), "command": {"title": "quoted in 1 note",
              "command": "ibid.showQuotations", "arguments": [uri, {"line": 8, "character": 0},
              [{"uri": uri, "range": rng(20, 83, 120)}]]}}]})
    elif meth == "workspace/executeCommand":
        send({"id": m["id"], "result": None})
    elif meth == "shutdown":
        send({"id": m["id"], "result": None})
    elif meth == "exit":
        break
    elif "id" in m and meth:
        send({"id": m["id"], "error": {"code": -32601, "message": meth}})
