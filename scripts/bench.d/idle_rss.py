#!/usr/bin/env python3
"""Idle RSS and start-up time of `tern serve`: starts each binary given (alternately, three
times) on a fresh data dir and a free port, waits for the port, and prints the milliseconds to
listening and VmRSS / RssAnon / RssFile (kB) 5 s later.

    python3 scripts/bench.d/idle_rss.py OLD/tern NEW/tern
"""
import subprocess, os, time, socket, tempfile, sys
def free_port():
    s=socket.socket(); s.bind(('127.0.0.1',0)); p=s.getsockname()[1]; s.close(); return p
def run(binary):
    d=tempfile.mkdtemp(); port=free_port()
    env=dict(os.environ, TERN_DATA_DIR=d, TERN_PORT=str(port), TERN_HOST='127.0.0.1', TERN_LOG_LEVEL='warning')
    p=subprocess.Popen([binary,'serve'],env=env,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)
    t=time.time()
    while True:
        try: socket.create_connection(('127.0.0.1',port),0.2).close(); break
        except OSError: time.sleep(0.005)
        if time.time()-t>20: raise SystemExit('no listen')
    started=time.time()-t
    time.sleep(5)
    st=open('/proc/%d/status'%p.pid).read()
    rss=[l for l in st.splitlines() if l.startswith(('VmRSS','RssAnon','RssFile'))]
    p.terminate(); p.wait()
    return started, rss
for i in range(3):
    for b in sys.argv[1:]:
        s,r=run(b); print(b, '%.0f ms'%(s*1000), ' '.join(x.split()[1] for x in r))
