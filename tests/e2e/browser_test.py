#!/usr/bin/python3
"""The web client in a real browser: headless Debian Chromium driven by Selenium.

Two browser users (two windows: 127.0.0.1 and localhost are two origins, so
each keeps its own name in localStorage) and an nc-style TCP user chat; a
private message; a name with non-Latin letters; a peer message carrying
<img src=x onerror=...> shows as text and runs nothing; the page reconnects
by itself after the server restarts; a name another key owns (a browser
presents none) gets NAME_2, as a taken one does.

Usage: browser_test.py LOCHAT_SERVER_BINARY [SCREENSHOT.png]
Exits 77 (CTest's skip) when Chromium, its driver or Selenium is missing.
"""
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
PATIENCE = 15  # seconds any one wait may take


def skip(why):
    print(f"SKIPPED: the web client's browser test: {why} "
          "(scripts/install-deps.sh installs chromium, chromium-driver and python3-selenium)")
    sys.exit(SKIP)


try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    skip("python3-selenium is not installed")

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
if not CHROMIUM or not DRIVER:
    skip("chromium or chromium-driver is not installed")


class Server:
    """lochat-server on 127.0.0.1; learns its ports from its log."""

    def __init__(self, binary, port=0, web_port=None, state=None):
        # No TLS but for names owned by keys (`state`): https is not served to
        # browsers yet, and a restart on the same port would look for the TLS
        # port beside it, which may be taken.
        args = [binary, "--host", "127.0.0.1", "--port", str(port), "--no-discovery"]
        args += ["--tls-port", "0", "--state-dir", state] if state else ["--no-tls"]
        if web_port is not None:
            args += ["--web-port", str(web_port)]
        # The log goes to a file: a pipe nobody reads could fill and stop the server.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(args, stderr=self.log)
        self.port = self.web_port = self.tls_port = None
        deadline = time.monotonic() + PATIENCE
        while self.web_port is None and time.monotonic() < deadline and self.process.poll() is None:
            self.log.seek(0)
            text = self.log.read()
            if m := re.search(r"Listening on 127\.0\.0\.1:(\d+)", text):
                self.port = int(m.group(1))
            if m := re.search(r"Web client at http://127\.0\.0\.1:(\d+)/", text):
                self.web_port = int(m.group(1))
            if m := re.search(r"Listening for TLS on 127\.0\.0\.1:(\d+)", text):
                self.tls_port = int(m.group(1))
            time.sleep(0.05)  # polling a file: nothing to wait on
        assert self.port and self.web_port, "the server did not log its ports"

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
        code = self.process.wait(timeout=PATIENCE)
        if code != 0:
            self.log.seek(0)
            raise AssertionError(f"lochat-server exited {code}:\n{self.log.read()[-4000:]}")


class LineUser:
    """An nc-style user: a bare TCP connection speaking lines."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
        self.buffer = b""
        self.seen = []

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def wait_for(self, wanted):
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                text = line.decode()
                self.seen.append(text)
                if text == wanted:
                    return
            ready, _, _ = select.select([self.sock], [], [], deadline - time.monotonic())
            if ready:
                chunk = self.sock.recv(65536)
                assert chunk, f"connection closed while waiting for {wanted!r}"
                self.buffer += chunk
        raise AssertionError(f"nc user never read {wanted!r}; read {self.seen}")


def start_browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=900,640", f"--user-data-dir={profile}", "--lang=en"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(DRIVER), options=options)


def wait(driver, condition, what):
    try:
        # A re-render may replace an element between finding and reading it: look again.
        return WebDriverWait(driver, PATIENCE, poll_frequency=0.05,
                             ignored_exceptions=(StaleElementReferenceException,)).until(
                                 lambda d: condition(d))
    except Exception as error:
        raise AssertionError(f"waited {PATIENCE} s for: {what}") from error


def messages_text(driver):
    return driver.find_element(By.ID, "messages").text


def join_as(driver, url, name):
    driver.get(url)
    wait(driver, lambda d: d.find_element(By.ID, "name-dialog").is_displayed(), "the name dialog")
    field = driver.find_element(By.ID, "name-input")
    field.send_keys(name)
    driver.find_element(By.CSS_SELECTOR, "#name-form button").click()
    wait(driver, lambda d: f"You are now known as {name}" in messages_text(d), f"{name} named")


def say(driver, text):
    box = driver.find_element(By.ID, "input")
    box.send_keys(text)
    driver.find_element(By.CSS_SELECTOR, "#composer button").click()


def roster_names(driver):
    return [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#roster .name")]


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


def owned_name_falls_back(binary, driver):
    state = tempfile.mkdtemp(prefix="lochat-browser-state-")
    server = Server(binary, state=state)
    owner = None
    try:
        owner = key_owns(server, "dave", state)
        owner.stdin.write(b"/quit\n")  # the name is free, but still owned
        owner.stdin.flush()
        owner.wait(timeout=PATIENCE)
        driver.get(f"http://127.0.0.1:{server.web_port}/")
        wait(driver, lambda d: d.find_element(By.ID, "name-dialog").is_displayed(), "the name dialog")
        driver.find_element(By.ID, "name-input").send_keys("dave")
        driver.find_element(By.CSS_SELECTOR, "#name-form button").click()
        wait(driver, lambda d: "You are now known as dave_2" in messages_text(d),
             "the browser falls back to dave_2")
        assert "the name dave belongs to another key" in messages_text(driver)
    finally:
        if owner is not None and owner.poll() is None:
            owner.kill()
        server.stop()
        shutil.rmtree(state, ignore_errors=True)


def main():
    binary = sys.argv[1]
    screenshot = sys.argv[2] if len(sys.argv) > 2 else None
    server = Server(binary)
    profile = tempfile.mkdtemp(prefix="lochat-browser-")
    driver = None
    try:
        driver = start_browser(profile)
        alice_url = f"http://127.0.0.1:{server.web_port}/"
        bob_url = f"http://localhost:{server.web_port}/"
        carol = LineUser(server.port)
        carol.send("/nick carol")
        carol.wait_for("*** You are now known as carol")

        # Window 1: a name in Cyrillic letters, a public line before bob comes (his history).
        join_as(driver, alice_url, "Алиса")
        alice = driver.current_window_handle
        say(driver, "hello everyone")
        carol.wait_for("From Алиса: hello everyone")
        wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#messages li.own.confirmed"),
             "alice's own line marked as received")

        # Window 2: another origin, so its own stored name.
        driver.switch_to.new_window("window")
        bob = driver.current_window_handle
        join_as(driver, bob_url, "bob")
        history = driver.find_elements(By.CSS_SELECTOR, "#messages li.history")
        assert any("hello everyone" in item.text for item in history), "history shown dimmed"
        wait(driver, lambda d: sorted(roster_names(d)) == sorted(["bob", "carol", "Алиса"]),
             "bob's roster lists all three")

        # A peer's markup is text: no element, nothing run.
        carol.send('<img src=x onerror="document.title=\'pwned\'"> <b>bold?</b>')
        wait(driver, lambda d: "<img src=x onerror=" in messages_text(d), "carol's markup as text")
        assert not driver.find_elements(By.CSS_SELECTOR, "#messages img, #messages b")
        assert "pwned" not in driver.title

        # Alice's tab is hidden (as the page sees it) when the private message comes.
        driver.switch_to.window(alice)
        driver.execute_script(
            "Object.defineProperty(document, 'hidden', {value: true, configurable: true})")
        driver.switch_to.window(bob)

        # A click on a name starts a private message.
        driver.find_element(By.XPATH, "//ul[@id='roster']//button[text()='Алиса']").click()
        box = driver.find_element(By.ID, "input")
        assert box.get_attribute("value") == "/msg Алиса ", box.get_attribute("value")
        say(driver, "just between us")
        driver.switch_to.window(alice)
        wait(driver, lambda d: any("Private from" in item.text and "just between us" in item.text
                                   for item in d.find_elements(By.CSS_SELECTOR, "#messages li.private")),
             "alice gets bob's private message, styled as private")
        assert driver.title == "(1) LoChat", f"title badge while hidden: {driver.title!r}"
        driver.execute_script("Object.defineProperty(document, 'hidden', {value: false}); "
                              "document.dispatchEvent(new Event('visibilitychange'))")
        assert driver.title == "LoChat", driver.title
        say(driver, "/me waves")
        carol.wait_for("* Алиса waves")
        carol.send("nice to meet you both")
        wait(driver, lambda d: "nice to meet you both" in messages_text(d), "carol's line at alice")
        assert "just between us" not in "\n".join(carol.seen), "a private message stays private"
        if screenshot:
            driver.save_screenshot(screenshot)

        # A phone's width: one column, nothing wider than the screen, the box still there.
        driver.set_window_size(360, 700)
        wait(driver, lambda d: d.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scroll")
        assert driver.find_element(By.ID, "input").is_displayed()
        assert driver.find_element(By.ID, "roster-panel").is_displayed()

        # The server restarts on the same ports: the page says so and comes back by itself.
        ports = (server.port, server.web_port)
        server.stop()
        wait(driver, lambda d: "reconnecting" in d.find_element(By.ID, "status").text,
             "the page says it lost the connection")
        server = Server(binary, *ports)
        wait(driver, lambda d: "Reconnected." in messages_text(d), "the page reconnects by itself")
        wait(driver, lambda d: "Алиса" in roster_names(d), "alice has her name back")
        owned_name_falls_back(binary, driver)
        print("browser test passed")
    finally:
        if driver is not None:
            driver.quit()
        server.stop()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
