"""What the browser tests share: the server, an nc-style user, headless
Chromium driven by Selenium, and the page's own controls.

Importing it exits 77 (CTest's skip) when Chromium, its driver or Selenium
is missing.
"""
import os
import re
import select
import shutil
import socket
import ssl
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


def password_file(binary, directory, password):
    """A file in `directory` holding the hash line `--hash-password` prints."""
    hashed = subprocess.run([binary, "--hash-password"], input=password + "\n", text=True,
                            capture_output=True, timeout=PATIENCE, check=True).stdout
    path = os.path.join(directory, "password.hash")
    with open(path, "w") as file:
        file.write(hashed.splitlines()[0] + "\n")
    return path


class Server:
    """lochat-server on 127.0.0.1; learns its ports from its log.

    With `tls_dir`, TLS is on (its self-made certificate kept there) and the
    web port serves https; `plain="off"` serves the chat over TLS only. With
    `password` (and `tls_dir`, where its hash is kept), the server has one."""

    def __init__(self, binary, port=0, web_port=None, tls_dir=None, plain=None, password=None):
        # Without TLS by default: a restart on the same port would look for the
        # TLS port beside it, which may be taken.
        args = [binary, "--host", "127.0.0.1", "--port", str(port), "--no-discovery"]
        args += ["--tls-port", "0", "--state-dir", tls_dir] if tls_dir else ["--no-tls"]
        if plain is not None:
            args += ["--plain", plain]
        if web_port is not None:
            args += ["--web-port", str(web_port)]
        if password is not None:
            args += ["--password-file", password_file(binary, tls_dir, password)]
        scheme = "https" if tls_dir else "http"
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
            if m := re.search(r"Listening for TLS on 127\.0\.0\.1:(\d+)", text):
                self.tls_port = int(m.group(1))
            if m := re.search(rf"Web client at {scheme}://127\.0\.0\.1:(\d+)/", text):
                self.web_port = int(m.group(1))
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
    """An nc-style user: a bare TCP connection speaking lines (or, with
    tls=True, openssl s_client's: TLS, the certificate taken as it is)."""

    def __init__(self, port, source="127.0.0.1", tls=False):
        # Each 127.x source address is another machine to the server.
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE,
                                             source_address=(source, 0))
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            self.sock = context.wrap_socket(self.sock)
        self.buffer = b""
        self.seen = []

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def wait_for(self, wanted, prefix=False):
        """Reads until the line `wanted` (or, with prefix, one starting so), and returns it."""
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                text = line.decode()
                self.seen.append(text)
                if text == wanted or (prefix and text.startswith(wanted)):
                    return text
            # Bytes TLS has already decrypted do not make the socket readable.
            pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
            ready = pending or select.select([self.sock], [], [], deadline - time.monotonic())[0]
            if ready:
                chunk = self.sock.recv(65536)
                assert chunk, f"connection closed while waiting for {wanted!r}"
                self.buffer += chunk
        raise AssertionError(f"nc user never read {wanted!r}; read {self.seen}")


def start_browser(profile, trust_any_certificate=False):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=900,640", f"--user-data-dir={profile}", "--lang=en"):
        options.add_argument(argument)
    if trust_any_certificate:
        # The server's certificate is self-signed: a person checks its
        # fingerprint once; the test browser is told to take it.
        options.add_argument("--ignore-certificate-errors")
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


