#!/usr/bin/env python3
"""Summarises a JFR recording's CPU samples: top frames (self) and most frequent frames anywhere in the stack.
Usage: jfr print --stack-depth 64 --events jdk.ExecutionSample target/bench/herald-*.jfr > /tmp/samples.txt
       python3 src/bench/jfr-top.py /tmp/samples.txt [N]"""
import collections, re, sys

path = sys.argv[1]
limit = int(sys.argv[2]) if len(sys.argv) > 2 else 25
top = collections.Counter()
anywhere = collections.Counter()
packages = collections.Counter()
threads = collections.Counter()
samples = 0
frames = []
in_stack = False
thread = None
frame_re = re.compile(r'^\s+([\w$.<>]+)\(')
with open(path, errors="replace") as f:
    for line in f:
        if line.startswith("jdk.ExecutionSample"):
            frames, in_stack, thread = [], False, None
        elif "sampledThread" in line:
            m = re.search(r'"([^"]+)"', line)
            thread = re.sub(r'\d+', '#', m.group(1)) if m else "?"
        elif "stackTrace = [" in line:
            in_stack = True
        elif in_stack and line.strip().startswith("]"):
            in_stack = False
            if frames:
                samples += 1
                top[frames[0]] += 1
                for fr in set(frames):
                    anywhere[fr] += 1
                pkg = next((".".join(fr.split(".")[:3]) for fr in frames if not fr.startswith(("java.", "jdk.", "sun."))), frames[0])
                packages[pkg] += 1
                threads[thread] += 1
        elif in_stack:
            m = frame_re.match(line)
            if m:
                frames.append(m.group(1))
print(f"{samples} samples")
for title, counter in (("top frame (self)", top), ("first non-JDK package in stack", packages),
                       ("thread", threads), ("anywhere in stack (stacks are truncated to 64 frames)", anywhere)):
    print(f"\n== {title}")
    for name, n in counter.most_common(limit):
        print(f"{100.0 * n / max(samples, 1):5.1f}%  {n:6d}  {name}")
