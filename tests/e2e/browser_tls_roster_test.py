#!/usr/bin/python3
"""The web client in a real browser, continued: over https (the server's
self-signed certificate, taken by Chromium's --ignore-certificate-errors as
a person would take it after checking its fingerprint), with the chat served
over TLS only; and a roster that stays true when the server keeps join and
leave notices to itself (several people behind one address).

Usage: browser_tls_roster_test.py LOCHAT_SERVER_BINARY
Exits 77 (CTest's skip) when Chromium, its driver or Selenium is missing.
"""
import shutil
import sys
import tempfile
import time

from browser_support import (PATIENCE, LineUser, Server, join_as, messages_text, roster_names, say,
                             start_browser, wait)

# Join notices one address may cause at once (kPresenceBurst in address_limits.hpp).
PRESENCE_BURST = 4


def wait_until_online(user, count):
    """Asks /who until the server counts `count` online (it forgets a
    leaver only once its session has ended)."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        user.send("/who")
        if user.wait_for("*** Online (", prefix=True).startswith(f"*** Online ({count})"):
            return
        time.sleep(0.05)  # asking again: the server says nothing when it forgets a quiet leaver
    raise AssertionError(f"the server never counted {count} online")


def over_https_only(binary, profile):
    """--plain off: http:// is sent to https://, and the page chats over wss://."""
    state = tempfile.mkdtemp(prefix="lochat-browser-tls-")
    server = Server(binary, tls_dir=state, plain="off")
    driver = None
    try:
        driver = start_browser(profile, trust_any_certificate=True)
        carol = LineUser(server.tls_port, tls=True)
        carol.send("/nick carol")
        carol.wait_for("*** You are now known as carol")
        driver.get(f"http://127.0.0.1:{server.web_port}/")
        wait(driver, lambda d: d.current_url.startswith(f"https://127.0.0.1:{server.web_port}/"),
             "http:// sent on to https://")
        join_as(driver, f"https://127.0.0.1:{server.web_port}/", "secure")
        say(driver, "hello over wss")
        carol.wait_for("From secure: hello over wss")
        carol.send("hi over tls")
        wait(driver, lambda d: "hi over tls" in messages_text(d), "carol's line in the page")
        wait(driver, lambda d: sorted(roster_names(d)) == ["carol", "secure"], "the roster")
    finally:
        if driver is not None:
            driver.quit()
        server.stop()
        shutil.rmtree(state, ignore_errors=True)


def roster_without_notices(binary, profile):
    """Past PRESENCE_BURST joins from one address, the server announces no
    more of them (nor their leaving): the page's roster must still be true."""
    server = Server(binary)
    driver = None
    try:
        driver = start_browser(profile)
        join_as(driver, f"http://127.0.0.1:{server.web_port}/", "watcher")
        behind_nat = []
        for i in range(PRESENCE_BURST + 1):
            user = LineUser(server.port, source="127.0.0.2")
            user.send(f"/nick nat{i}")
            user.wait_for(f"*** You are now known as nat{i}")
            behind_nat.append(user)
        quiet = f"nat{PRESENCE_BURST}"  # joined unannounced
        wait(driver, lambda d: f"nat{PRESENCE_BURST - 1} joined" in messages_text(d),
             "the announced joins")
        # Someone from elsewhere joins, announced with the count of who is online.
        zed = LineUser(server.port, source="127.0.0.3")
        zed.send("/nick zed")
        zed.wait_for("*** You are now known as zed")
        everyone = sorted(["watcher", "zed"] + [f"nat{i}" for i in range(PRESENCE_BURST + 1)])
        wait(driver, lambda d: sorted(roster_names(d)) == everyone,
             f"the roster lists {quiet}, who joined unannounced")
        assert f"{quiet} joined" not in messages_text(driver), "the server did hide that join"

        # The quiet one leaves unannounced; zed's announced leaving, once it
        # has gone, shows the count.
        behind_nat.pop().send("/quit")
        wait_until_online(zed, PRESENCE_BURST + 2)
        zed.send("/quit")
        everyone = sorted(["watcher"] + [f"nat{i}" for i in range(PRESENCE_BURST)])
        wait(driver, lambda d: sorted(roster_names(d)) == everyone,
             f"the roster no longer lists {quiet}, who left unannounced")

        # A line from a name the page has not heard of puts it in the roster.
        late = LineUser(server.port, source="127.0.0.2")
        late.send("/nick latecomer")
        late.wait_for("*** You are now known as latecomer")
        late.send("anyone here?")
        wait(driver, lambda d: "anyone here?" in messages_text(d), "the latecomer's line")
        wait(driver, lambda d: "latecomer" in roster_names(d), "the latecomer in the roster")
        # The page asked /who for itself: its answers are not shown as if typed.
        assert "Online (" not in messages_text(driver), messages_text(driver)
    finally:
        if driver is not None:
            driver.quit()
        server.stop()


def main():
    binary = sys.argv[1]
    for scenario in (over_https_only, roster_without_notices):
        profile = tempfile.mkdtemp(prefix="lochat-browser-")
        try:
            scenario(binary, profile)
        finally:
            shutil.rmtree(profile, ignore_errors=True)
    print("browser tests over https and of the roster passed")


if __name__ == "__main__":
    main()
