#!/usr/bin/python3
"""The web client in a real browser, continued: over https (the server's
self-signed certificate, taken by Chromium's --ignore-certificate-errors as
a person would take it after checking its fingerprint), with the chat served
over TLS only; a roster that stays true when the server keeps join and
leave notices to itself (several people behind one address); and a name
another key owns (a browser presents none), which the page does not get: it
falls back to NAME_2, as for a taken one; and a server with a password,
which the page asks for over https.

Usage: browser_tls_roster_test.py LOCHAT_SERVER_BINARY
Exits 77 (CTest's skip) when Chromium, its driver or Selenium is missing.
"""
import contextlib
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

from browser_support import (PATIENCE, By, LineUser, Server, join_as, messages_text, roster_names, say,
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


def tls_user(server, name, password=None):
    """A user of the TLS port named `name` (past the password, if given)."""
    user = LineUser(server.tls_port, tls=True)
    if password is not None:
        user.send(f"/pass {password}")
        user.wait_for("*** Password accepted")
    user.send(f"/nick {name}")
    user.wait_for(f"*** You are now known as {name}")
    return user


@contextlib.contextmanager
def over_tls(binary, profile, prefix, **server_options):
    """A server with TLS (its state in a temporary directory) and a browser
    that takes its certificate; both stopped, the directory removed, after."""
    state = tempfile.mkdtemp(prefix=prefix)
    server = Server(binary, tls_dir=state, **server_options)
    driver = None
    try:
        driver = start_browser(profile, trust_any_certificate=True)
        yield server, driver
    finally:
        if driver is not None:
            driver.quit()
        server.stop()
        shutil.rmtree(state, ignore_errors=True)


def over_https_only(binary, profile):
    """--plain off: http:// is sent to https://, and the page chats over wss://."""
    with over_tls(binary, profile, "lochat-browser-tls-", plain="off") as (server, driver):
        carol = tls_user(server, "carol")
        driver.get(f"http://127.0.0.1:{server.web_port}/")
        wait(driver, lambda d: d.current_url.startswith(f"https://127.0.0.1:{server.web_port}/"),
             "http:// sent on to https://")
        join_as(driver, f"https://127.0.0.1:{server.web_port}/", "secure")
        say(driver, "hello over wss")
        carol.wait_for("From secure: hello over wss")
        carol.send("hi over tls")
        wait(driver, lambda d: "hi over tls" in messages_text(d), "carol's line in the page")
        wait(driver, lambda d: sorted(roster_names(d)) == ["carol", "secure"], "the roster")


def password_over_https(binary, profile):
    """A server with a password: the page asks for it, says when it is wrong,
    and chats once the right one is typed (over https, the only way)."""
    with over_tls(binary, profile, "lochat-browser-pass-", password="correct horse") as (
            server, driver):
        carol = tls_user(server, "carol", password="correct horse")
        driver.get(f"https://127.0.0.1:{server.web_port}/")
        enter_password(driver, "wrong horse")
        wait(driver, lambda d: d.find_element(By.ID, "pass-error").text == "wrong password",
             "the wrong password said")
        enter_password(driver, "correct horse")
        wait(driver, lambda d: d.find_element(By.ID, "name-dialog").is_displayed(), "the name dialog")
        driver.find_element(By.ID, "name-input").send_keys("secure")
        driver.find_element(By.CSS_SELECTOR, "#name-form button").click()
        wait(driver, lambda d: "You are now known as secure" in messages_text(d), "secure named")
        say(driver, "hello past the password")
        carol.wait_for("From secure: hello past the password")
        carol.send("welcome in")
        wait(driver, lambda d: "welcome in" in messages_text(d), "carol's line in the page")
        stored = driver.execute_script("return JSON.stringify(localStorage)")
        assert "horse" not in stored, "the password was kept in localStorage"


def enter_password(driver, password):
    wait(driver, lambda d: d.find_element(By.ID, "pass-dialog").is_displayed(), "the password dialog")
    field = driver.find_element(By.ID, "pass-input")
    assert field.get_attribute("type") == "password"
    field.send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#pass-form button").click()


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


def key_owns(server, name, directory):
    """openssl s_client with a key of its own takes `name`: its key owns it from then on."""
    key, certificate = os.path.join(directory, "key.pem"), os.path.join(directory, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-subj", "/CN=owner", "-days", "1", "-keyout", key, "-out", certificate],
                   check=True, capture_output=True, timeout=PATIENCE)
    owner = subprocess.Popen(["openssl", "s_client", "-quiet", "-connect",
                              f"127.0.0.1:{server.tls_port}", "-cert", certificate, "-key", key],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    owner.stdin.write(f"/nick {name}\n".encode())
    owner.stdin.flush()
    deadline = time.monotonic() + PATIENCE
    heard = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([owner.stdout], [], [], deadline - time.monotonic())
        if ready:
            heard += os.read(owner.stdout.fileno(), 65536)  # unbuffered: select sees the rest
        if f"You are now known as {name}".encode() in heard:
            return owner
    owner.kill()
    raise AssertionError(f"the key never took {name}")


def owned_name_falls_back(binary, profile):
    """A key owns dave and has left: the browser asking for dave becomes dave_2, and is told why."""
    state = tempfile.mkdtemp(prefix="lochat-browser-state-")
    server = Server(binary, tls_dir=state)
    owner = driver = None
    try:
        owner = key_owns(server, "dave", state)
        owner.stdin.write(b"/quit\n")  # the name is free, but still owned
        owner.stdin.flush()
        owner.wait(timeout=PATIENCE)
        driver = start_browser(profile, trust_any_certificate=True)
        driver.get(f"https://127.0.0.1:{server.web_port}/")
        wait(driver, lambda d: d.find_element(By.ID, "name-dialog").is_displayed(), "the name dialog")
        driver.find_element(By.ID, "name-input").send_keys("dave")
        driver.find_element(By.CSS_SELECTOR, "#name-form button").click()
        wait(driver, lambda d: "You are now known as dave_2" in messages_text(d),
             "the browser falls back to dave_2")
        assert "the name dave belongs to another key" in messages_text(driver)
    finally:
        if owner is not None and owner.poll() is None:
            owner.kill()
        if driver is not None:
            driver.quit()
        server.stop()
        shutil.rmtree(state, ignore_errors=True)


def main():
    binary = sys.argv[1]
    for scenario in (over_https_only, password_over_https, roster_without_notices,
                     owned_name_falls_back):
        profile = tempfile.mkdtemp(prefix="lochat-browser-")
        try:
            scenario(binary, profile)
        finally:
            shutil.rmtree(profile, ignore_errors=True)
    print("browser tests over https, with a password, of the roster and of an owned name passed")


if __name__ == "__main__":
    main()
