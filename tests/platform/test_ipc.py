"""Single instance over a real local socket, with real subprocesses for the second/crashed app."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import sys
import textwrap
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kimai_tray.platform.ipc import (
    AlreadyRunningError,
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
