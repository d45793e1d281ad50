#!/usr/bin/env python3
"""A minimal DAP client for bench/dap.sh (stdlib only): drives `devc dap` and
prints one JSON line of timings.

  client.py <devc> <workspace> throughput <bytes>
      launch `yes LINE | head -c <bytes>`; seconds from the launch response
      to `terminated`, bytes received, MB/s
  client.py <devc> <workspace> latency
      launch a script that prints a readiness line after 0.5 s; milliseconds
      between the output event carrying the match and `devcontainer/ready`
  client.py <devc> <workspace> launch <up:true|false>
      milliseconds from sending `launch` to the `process` event
"""
import json
import subprocess
import sys
import time

LINE = "devc-burst-0123456789abcdefghijklmnopqrstuvwxyz"


class Dap:
    def __init__(self, devc, cwd):
        self.p = subprocess.Popen([devc, "dap"], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.out = self.p.stdout
        self.seq = 0

    def send(self, command, arguments):
        self.seq += 1
        body = json.dumps({"seq": self.seq, "type": "request", "command": command, "arguments": arguments}).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()
        return self.seq

    def recv(self):
        length = None
        while True:
            line = self.out.readline()
            if not line:
                raise SystemExit("devc dap closed its output")
            if line == b"\r\n":
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = b""
        while len(body) < length:
            chunk = self.out.read(length - len(body))
            if not chunk:
                raise SystemExit("devc dap closed its output")
            body += chunk
        return json.loads(body)

    def until(self, pred):
        while True:
            m = self.recv()
            if pred(m):
                return m

    def start(self, args):
        init = self.send("initialize", {"clientID": "bench", "supportsProgressReporting": True})
        self.until(lambda m: m.get("request_seq") == init)
        seq = self.send("launch", args)
        self.until(lambda m: m.get("event") == "initialized")
        self.send("configurationDone", {})
        return seq

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=60)


def main():
    devc, ws, mode = sys.argv[1:4]
    d = Dap(devc, ws)
    if mode == "throughput":
        total = int(sys.argv[4])
        seq = d.start({"command": ["sh", "-c", 'yes "$1" | head -c "$2"', "burst", LINE, str(total)], "up": False})
        d.until(lambda m: m.get("request_seq") == seq)
        t0 = time.perf_counter()
        got = 0
        while True:
            m = d.recv()
            if m.get("event") == "output" and m["body"].get("category") == "stdout":
                got += len(m["body"]["output"])
            elif m.get("event") == "terminated":
                break
        secs = time.perf_counter() - t0
        print(json.dumps({"mode": mode, "bytes": got, "seconds": secs, "MBps": got / secs / 1e6}))
    elif mode == "latency":
        script = 'sleep 0.5; echo "listening on port 8080"; exec sleep 60'
        d.start({"command": ["sh", "-c", script], "up": False, "readiness": {"pattern": "listening on port (\\d+)"}})
        d.until(lambda m: m.get("event") == "output" and "listening on port" in m["body"].get("output", ""))
        t0 = time.perf_counter()
        ready = d.until(lambda m: m.get("event") == "devcontainer/ready")
        ms = (time.perf_counter() - t0) * 1000
        print(json.dumps({"mode": mode, "detectionMs": ms, "adapterElapsedMs": ready["body"]["elapsedMs"]}))
        d.send("terminate", {})
        d.until(lambda m: m.get("event") == "terminated")
    elif mode == "launch":
        up = sys.argv[4] == "true"
        t0 = time.perf_counter()
        d.start({"command": ["sleep", "60"], "up": up})
        d.until(lambda m: m.get("event") == "process")
        ms = (time.perf_counter() - t0) * 1000
        print(json.dumps({"mode": mode, "up": up, "launchToProcessMs": ms}))
        d.send("terminate", {})
        d.until(lambda m: m.get("event") == "terminated")
    d.close()


if __name__ == "__main__":
    main()
