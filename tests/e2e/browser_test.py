#!/usr/bin/python3
"""The web client in a real browser: headless Debian Chromium driven by Selenium.

Two browser users (two windows: 127.0.0.1 and localhost are two origins, so
each keeps its own name in localStorage) and an nc-style TCP user chat; a
private message; a name with non-Latin letters; a peer message carrying
<img src=x onerror=...> shows as text and runs nothing; the page reconnects
by itself after the server restarts.

Usage: browser_test.py LOCHAT_SERVER_BINARY [SCREENSHOT.png]
Exits 77 (CTest's skip) when Chromium, its driver or Selenium is missing.
"""
import shutil
import sys
import tempfile

from browser_support import (By, LineUser, Server, join_as, messages_text, roster_names, say,
                             start_browser, wait)


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
        print("browser test passed")
    finally:
        if driver is not None:
            driver.quit()
        server.stop()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
