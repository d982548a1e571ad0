#!/usr/bin/env python3
"""Visitors for bench/visitors.sh (issue 10, "one visitor cannot exhaust a tunnel").

  visitors.py attack SRC HTTP_PORT HOST TCP_PORT N SECONDS STATS_FILE
      N connections from SRC, half to the HTTP port (a whole request head for HOST, the answer never read: the
      relay to the agent stays open), half to the leased TCP port (connected, silent). Every connection the node
      closes is opened again after 1 s. Writes "open attempts refused" samples to STATS_FILE once a second.
  visitors.py signin HTTPS_PORT HOST THREADS SECONDS STATS_FILE
      THREADS threads post wrong passwords to the console's sign-in, each try from a new connection, a new source
      address (127.1.x.y) and a new e-mail, so that no throttle counts two tries (each costs a password hash); one
      antiforgery token per thread, fetched once. Writes the answers' error codes, counted, to STATS_FILE.
  visitors.py legit SRC HTTP_PORT HOST TCP_PORT COUNT
      COUNT HTTP requests and COUNT requests over the leased port, one after another, each within 5 s.
      Prints "http OK/COUNT p50 p99 tcp OK/COUNT p50 p99" (ms).
"""
import asyncio, socket, sys, time


async def connect(src, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.bind((src, 0))
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", port))
    return await asyncio.open_connection(sock=sock)


async def attack(src, http_port, host, tcp_port, n, seconds, stats_file):
    state = {"open": 0, "attempts": 0, "closed": 0}
    head = f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: hold\r\n\r\n".encode()
    end = time.monotonic() + seconds

    async def slot(i):
        port = http_port if i % 2 == 0 else tcp_port
        while time.monotonic() < end:
            state["attempts"] += 1
            try:
                reader, writer = await asyncio.wait_for(connect(src, port), 10)
            except (OSError, asyncio.TimeoutError):
                await asyncio.sleep(1)
                continue
            state["open"] += 1
            try:
                if port == http_port:
                    writer.write(head)
                    await writer.drain()
                # Hold: never read what comes; learn of the close by a read that returns nothing.
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                while time.monotonic() < end:
                    try:
                        data = await asyncio.wait_for(reader.read(1), 1)
                        if not data:
                            break
                        # The answer arrived: stop reading it (the connection stays open, its buffers fill).
                        await asyncio.sleep(max(0, end - time.monotonic()))
                    except asyncio.TimeoutError:
                        continue
            except OSError:
                pass
            finally:
                state["open"] -= 1
                state["closed"] += 1
                writer.close()
            await asyncio.sleep(1)

    async def report():
        with open(stats_file, "w") as f:
            while time.monotonic() < end:
                f.write(f"{time.monotonic():.1f} {state['open']} {state['attempts']} {state['closed']}\n")
                f.flush()
                await asyncio.sleep(1)

    # Opened gradually (500 per 0.1 s) so the slots do not all start in one instant.
    tasks = [asyncio.create_task(report())]
    for i in range(n):
        tasks.append(asyncio.create_task(slot(i)))
        if i % 500 == 499:
            await asyncio.sleep(0.1)
    await asyncio.gather(*tasks, return_exceptions=True)


def signin(https_port, host, threads, seconds, stats_file):
    import http.client, random, re, ssl, threading, collections
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    counts = collections.Counter()
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def connection():
        source = f"127.1.{random.randint(0, 255)}.{random.randint(1, 254)}"
        return http.client.HTTPSConnection("127.0.0.1", https_port, context=context, source_address=(source, 0), timeout=30)

    def worker(i):
        c = connection()
        c.request("GET", "/account/login", headers={"Host": host})
        page = c.getresponse()
        body = page.read().decode()
        cookies = "; ".join(h.split(";")[0] for k, h in page.getheaders() if k.lower() == "set-cookie")
        token = re.search(r'name="__RequestVerificationToken"[^>]*value="([^"]+)"', body).group(1)
        c.close()
        n = 0
        while time.monotonic() < end:
            n += 1
            form = f"email=flood{i}-{n}-{random.randint(0, 1 << 30)}%40example.com&password=wrong-{n}&__RequestVerificationToken={token}"
            try:
                c = connection()
                c.request("POST", "/account/signin", body=form, headers={
                    "Host": host, "Cookie": cookies, "Content-Type": "application/x-www-form-urlencoded"})
                answer = c.getresponse()
                answer.read()
                code = re.search(r"error=(\w+)", answer.getheader("Location") or "")
                key = code.group(1) if code else f"status {answer.status}"
                c.close()
            except OSError as e:
                key = type(e).__name__
            with lock:
                counts[key] += 1

    workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    with open(stats_file, "w") as f:
        f.write(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) + "\n")


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


async def legit(src, http_port, host, tcp_port, count):
    request = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    results = {}
    for name, port in (("http", http_port), ("tcp", tcp_port)):
        ok, times = 0, []
        for _ in range(count):
            start = time.monotonic()
            try:
                async def one():
                    reader, writer = await connect(src, port)
                    writer.write(request)
                    await writer.drain()
                    data = await reader.read()
                    writer.close()
                    return data
                data = await asyncio.wait_for(one(), 5)
                if data.startswith(b"HTTP/1.1 200") and len(data) >= 1024:
                    ok += 1
                    times.append((time.monotonic() - start) * 1000)
            except (OSError, asyncio.TimeoutError):
                pass
        results[name] = (ok, percentile(times, 0.5), percentile(times, 0.99))
    print(" ".join(f"{k} {v[0]}/{count} {v[1]:.1f} {v[2]:.1f}" for k, v in results.items()))


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "signin":
        signin(int(args[0]), args[1], int(args[2]), float(args[3]), args[4])
    elif mode == "attack":
        asyncio.run(attack(args[0], int(args[1]), args[2], int(args[3]), int(args[4]), float(args[5]), args[6]))
    else:
        asyncio.run(legit(args[0], int(args[1]), args[2], int(args[3]), int(args[4])))
