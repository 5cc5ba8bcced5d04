"""Crashes during a sitting under load: a worker killed, the master killed, the whole server or
the database restarted. Terminals keep replaying what was not acknowledged; afterwards every
acknowledged answer is in the database, exactly once, and nothing was invented."""

from __future__ import annotations

import os

import pytest

from tests.faults.harness import (
    ServerHandle,
    Terminal,
    assert_holds_every_acknowledged_change,
    finish,
    held,
    under_load,
    wait_for_acks,
)
from tests.faults.pg_cluster import PrivateCluster

ON_POSTGRESQL = bool(os.environ.get("EXAM_TEST_DATABASE_URL"))


def check_database(server: ServerHandle, terminals: list[Terminal]) -> None:
    states = held(server.database_url, [t.attempt_id for t in terminals])
    for terminal in terminals:
        assert_holds_every_acknowledged_change(terminal, states[terminal.attempt_id])


def test_kill_a_worker_then_the_master_under_load_loses_no_acknowledged_answer(fault_server):
    terminals = [Terminal.sign_in(fault_server, index) for index in range(8)]
    stop_event, threads = under_load(terminals)
    try:
        wait_for_acks(terminals, 5)
        victim = fault_server.kill_worker()
        fault_server.wait_for_workers(2, exclude={victim})  # the master replaces it
        wait_for_acks(terminals, 5)

        fault_server.kill_master()
        # The server is down: what the database holds now is final for every acknowledgement.
        check_database(fault_server, terminals)
        acked_while_down = {t.sbd: t.acked_seq for t in terminals}
        fault_server.start()
        wait_for_acks(terminals, 5)
    finally:
        finish(stop_event, threads)

    check_database(fault_server, terminals)
    for terminal in terminals:
        assert not terminal.pending and terminal.acked_seq == terminal.seq
        assert terminal.seq > acked_while_down[terminal.sbd]  # they kept working after
    assert sum(t.failures for t in terminals) > 0  # the crashes did hit saves in flight


def test_restart_during_a_sitting_loses_nothing(fault_server, tmp_path, monkeypatch):
    """PostgreSQL runs: a private cluster is restarted (crash-stop) under the server's feet.
    SQLite runs: the whole gunicorn is stopped and started again under load."""
    if ON_POSTGRESQL:
        with PrivateCluster(tmp_path) as cluster:
            monkeypatch.setenv("EXAM_TEST_DATABASE_URL", cluster.url("postgres"))
            server = ServerHandle(tmp_path / "server", workers=2)
            try:
                server.proctor()
                terminals = [Terminal.sign_in(server, index) for index in range(4)]
                stop_event, threads = under_load(terminals)
                try:
                    wait_for_acks(terminals, 5)
                    cluster.stop(mode="immediate")  # like a crash: no clean shutdown
                    acked_at_crash = {t.sbd: t.acked_seq for t in terminals}
                    cluster.start()
                    wait_for_acks(terminals, 5)
                finally:
                    finish(stop_event, threads)
                check_database(server, terminals)
                for terminal in terminals:
                    assert terminal.acked_seq == terminal.seq > acked_at_crash[terminal.sbd]
                assert sum(t.failures for t in terminals) > 0  # saves failed and were retried
            finally:
                server.stop()
        return

    terminals = [Terminal.sign_in(fault_server, index) for index in range(8, 12)]
    stop_event, threads = under_load(terminals)
    try:
        wait_for_acks(terminals, 5)
        fault_server.stop_gracefully()
        check_database(fault_server, terminals)
        fault_server.start()
        wait_for_acks(terminals, 5)
    finally:
        finish(stop_event, threads)
    check_database(fault_server, terminals)
    assert all(t.acked_seq == t.seq for t in terminals)
    assert sum(t.failures for t in terminals) > 0


@pytest.fixture(autouse=True)
def _server_is_up(fault_server):
    """A failed test must not leave the shared server down for the next one."""
    yield
    if fault_server.process.poll() is not None:
        fault_server.start()
