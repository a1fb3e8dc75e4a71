"""Half a client certificate pair (a key without its chain, or the reverse) is a ValueError naming
the missing half, raised by the constructor: grpc core used to abort the whole interpreter (SIGABRT)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

KEY = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"
CHAIN = b"-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n"
CA = b"-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n"

CASES = {
    "key only": ("dict(root_certificates=CA, private_key=KEY)", "private_key without certificate_chain"),
    "chain only": ("dict(root_certificates=CA, certificate_chain=CHAIN)", "certificate_chain without private_key"),
    "key only, tls=True": ("dict(tls=True, private_key=KEY)", "private_key without certificate_chain"),
    "key only, no tls": ("dict(private_key=KEY)", "private_key without certificate_chain"),
}


@pytest.mark.parametrize("kind", ["Client", "AsyncClient"])
@pytest.mark.parametrize("case", list(CASES))
def test_half_a_client_pair_is_a_value_error(kind: str, case: str) -> None:
    kwargs, message = CASES[case]
    # In a child process: without the check, grpc core aborts the interpreter.
    program = textwrap.dedent(f"""
        import asyncio, scriptengine_client as se
        KEY, CHAIN, CA = {KEY!r}, {CHAIN!r}, {CA!r}
        async def make():
            return se.{kind}("127.0.0.1:1", **{kwargs})
        try:
            client = asyncio.run(make()) if "{kind}" == "AsyncClient" else se.{kind}("127.0.0.1:1", **{kwargs})
        except ValueError as err:
            print("ValueError:", err)
        else:
            print("no error")
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)})
    assert (done.returncode, done.stdout.strip()) == (0, f"ValueError: {message}: a client certificate needs both (mTLS)"), done.stderr
