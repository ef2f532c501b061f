"""Single instance over a real local socket, with real subprocesses for the second/crashed app."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from ipc.fake_app import FakeApp
from kimai_tray.platform.ipc import (
    ACK_LINE,
    AlreadyRunningError,
    AppNotRespondingError,
    AppStoppedAnsweringError,
    InstanceServer,
    IpcRequest,
    IpcResponse,
    send_request,
    socket_location,
)

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    import qasync
    from PySide6.QtCore import QCoreApplication
    from kimai_tray.platform.ipc import AlreadyRunningError, InstanceServer, IpcResponse

    async def handler(request):
        print("ran:" + request.command, flush=True)  # the test reads which commands ran
        return IpcResponse(0, "child:" + request.command + "\\n", "")

    app = QCoreApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    server = InstanceServer(sys.argv[1], Path(sys.argv[2]), handler)
    try:
        server.acquire()
    except AlreadyRunningError:
        print("already running", flush=True)
        sys.exit(3)
    print("ready", flush=True)
    loop.run_forever()
    """
)


@pytest.fixture
def location(tmp_path: Path) -> tuple[str, Path]:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    return socket_location(tmp_path / "config", runtime)


def _spawn_child(name: str, lock: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, name, str(lock)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def _reap(child: subprocess.Popen[str]) -> None:
    child.kill()
    child.wait(timeout=10)
    if child.stdout is not None:
        child.stdout.close()


def _wait_ready(child: subprocess.Popen[str]) -> str:
    assert child.stdout is not None
    return child.stdout.readline().strip()


def test_socket_name_is_per_user_and_per_config_home(tmp_path: Path) -> None:
    a, _ = socket_location(tmp_path / "one", tmp_path)
    b, _ = socket_location(tmp_path / "two", tmp_path)
    assert a != b
    assert str(os.getuid()) in Path(a).name


def test_request_reaches_handler_and_answer_comes_back(
    qtbot: QtBot, running_qloop: asyncio.AbstractEventLoop, location: tuple[str, Path]
) -> None:
    name, lock = location
    seen: list[IpcRequest] = []

    async def handler(request: IpcRequest) -> IpcResponse:
        seen.append(request)
        return IpcResponse(0, f"did {request.command}\n", "")

    server = InstanceServer(name, lock, handler)
    server.acquire()
    try:
        # The client blocks, so it runs on a worker thread while Qt's loop serves the socket.
        with ThreadPoolExecutor(1) as pool:
            future: Future[IpcResponse | None] = pool.submit(
                send_request, name, IpcRequest("toggle", {"x": 1})
            )
            qtbot.waitUntil(future.done, timeout=5000)
        assert future.result() == IpcResponse(0, "did toggle\n", "")
        assert seen == [IpcRequest("toggle", {"x": 1})]
        mode = stat.S_IMODE(os.stat(name).st_mode)
        assert mode & 0o077 == 0, oct(mode)  # not reachable by other users
    finally:
        server.close()


def test_no_running_app_means_no_answer(location: tuple[str, Path]) -> None:
    name, _ = location
    assert send_request(name, IpcRequest("status")) is None


def test_second_instance_refuses_to_start(location: tuple[str, Path]) -> None:
    name, lock = location
    first = _spawn_child(name, lock)
    try:
        assert _wait_ready(first) == "ready"
        second = _spawn_child(name, lock)
        assert _wait_ready(second) == "already running"
        assert second.wait(timeout=30) == 3
        _reap(second)
        # The first one still owns the socket and answers.
        response = send_request(name, IpcRequest("status"))
        assert response is not None and response.stdout == "child:status\n"
    finally:
        _reap(first)


def test_stale_socket_of_killed_app_is_taken_over(
    qtbot: QtBot, running_qloop: asyncio.AbstractEventLoop, location: tuple[str, Path]
) -> None:
    name, lock = location
    crashed = _spawn_child(name, lock)
    assert _wait_ready(crashed) == "ready"
    os.kill(crashed.pid, signal.SIGKILL)
    _reap(crashed)
    assert Path(name).exists()  # the dead app left its socket file behind

    async def handler(request: IpcRequest) -> IpcResponse:
        return IpcResponse(0, "new\n", "")

    server = InstanceServer(name, lock, handler)
    server.acquire()  # must not raise: the lock and socket are stale
    try:
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(send_request, name, IpcRequest("status"))
            qtbot.waitUntil(future.done, timeout=5000)
        assert future.result() == IpcResponse(0, "new\n", "")
    finally:
        server.close()


def test_already_running_error_in_process(
    qtbot: QtBot, running_qloop: asyncio.AbstractEventLoop, location: tuple[str, Path]
) -> None:
    name, lock = location
    child = _spawn_child(name, lock)
    try:
        assert _wait_ready(child) == "ready"

        async def handler(request: IpcRequest) -> IpcResponse:
            return IpcResponse()

        with pytest.raises(AlreadyRunningError):
            InstanceServer(name, lock, handler).acquire()
    finally:
        _reap(child)


ACK_WAIT_S = 0.5  # the tests' acknowledgement timeout: long for a live app, short for a test


def test_app_that_never_acknowledges_is_not_responding_and_not_gone(
    location: tuple[str, Path],
) -> None:
    name, _ = location
    with FakeApp(name, "silent") as app:
        with pytest.raises(AppNotRespondingError) as caught:
            send_request(name, IpcRequest("toggle"), ack_timeout=ACK_WAIT_S)
        assert caught.value.command == "toggle"
        assert app.seen() == ["toggle"]  # it got the request; it just never took it


def test_app_that_closes_without_acknowledging_and_is_gone_means_act_directly(
    location: tuple[str, Path],
) -> None:
    """A quitting app: it reads the request, then stops listening and drops the connection."""
    name, _ = location
    app = FakeApp(name, "silent")
    try:
        # The client runs in a thread; the app quits once the request arrived.
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(send_request, name, IpcRequest("toggle"), ack_timeout=10.0)
            deadline = time.monotonic() + 10
            while not app.seen() and time.monotonic() < deadline:
                time.sleep(0.01)  # polling the fake app's real state (no event to wait on)
            assert app.seen() == ["toggle"]
            app.close()  # stops listening and closes the connection: the app is gone
            assert future.result(timeout=10) is None
    finally:
        app.close()


def test_app_that_acknowledges_then_dies_stopped_answering(location: tuple[str, Path]) -> None:
    name, _ = location
    with FakeApp(name, "ack_then_close") as app:
        with pytest.raises(AppStoppedAnsweringError) as caught:
            send_request(name, IpcRequest("toggle"), ack_timeout=ACK_WAIT_S)
        assert caught.value.command == "toggle"
        assert app.confirmations == 1  # it was told to run it: it may have


def test_app_that_acknowledges_then_answers_gives_its_answer(location: tuple[str, Path]) -> None:
    name, _ = location
    with FakeApp(name, "answer") as app:
        response = send_request(name, IpcRequest("status"), ack_timeout=ACK_WAIT_S)
        assert response == IpcResponse(0, "answer:status\n", "")
        assert app.confirmations == 1


def test_stale_socket_file_means_no_app(location: tuple[str, Path]) -> None:
    name, _ = location
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(name)  # a socket file nobody listens on, as a crashed app leaves it
    dead.close()
    assert Path(name).exists()
    assert send_request(name, IpcRequest("toggle"), ack_timeout=ACK_WAIT_S) is None


def test_server_runs_nothing_the_client_did_not_confirm(
    qtbot: QtBot, running_qloop: asyncio.AbstractEventLoop, location: tuple[str, Path]
) -> None:
    """The ack comes before the command runs, and it runs only after the client confirms."""
    name, lock = location
    seen: list[str] = []

    async def handler(request: IpcRequest) -> IpcResponse:
        seen.append(request.command)
        return IpcResponse(0, "", "")

    server = InstanceServer(name, lock, handler)
    server.acquire()
    try:
        with ThreadPoolExecutor(1) as pool:
            # A client that gives up right after the acknowledgement (never confirms).
            def request_and_leave() -> bytes:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:
                    raw.settimeout(5)
                    raw.connect(name)
                    raw.sendall(IpcRequest("toggle").encode())
                    return raw.makefile("rb").readline()

            leaving = pool.submit(request_and_leave)
            qtbot.waitUntil(leaving.done, timeout=5000)
            assert leaving.result() == ACK_LINE
            confirmed = pool.submit(send_request, name, IpcRequest("stop"))
            qtbot.waitUntil(confirmed.done, timeout=5000)
        assert confirmed.result() == IpcResponse(0, "", "")
        assert seen == ["stop"]
    finally:
        server.close()


def test_frozen_app_is_not_responding_and_never_runs_the_request_later(
    location: tuple[str, Path],
) -> None:
    """A real app process stopped with SIGSTOP: the client gives up and the app, resumed,
    must not run the request it finds in its socket buffer."""
    name, lock = location
    child = _spawn_child(name, lock)
    try:
        assert _wait_ready(child) == "ready"
        os.kill(child.pid, signal.SIGSTOP)
        try:
            with pytest.raises(AppNotRespondingError):
                send_request(name, IpcRequest("toggle"), ack_timeout=ACK_WAIT_S)
            # Still frozen: a second app must not start beside it (it holds the lock).
            with pytest.raises(AlreadyRunningError):
                _acquire_in_subprocess(name, lock)
        finally:
            os.kill(child.pid, signal.SIGCONT)
        response = send_request(name, IpcRequest("status"), timeout=10)
        assert response is not None and response.stdout == "child:status\n"
        assert child.stdout is not None
        ran = [child.stdout.readline().strip()]
        assert ran == ["ran:status"]  # the abandoned toggle never ran, before or after
    finally:
        _reap(child)


def _acquire_in_subprocess(name: str, lock: Path) -> None:
    second = _spawn_child(name, lock)
    try:
        if _wait_ready(second) == "already running":
            raise AlreadyRunningError(name)
    finally:
        _reap(second)
