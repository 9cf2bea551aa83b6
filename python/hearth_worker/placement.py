"""CPU and memory placement from the server's CPU launcher.

The launcher passes HEARTH_WORKER_CPUS ("0-3,8") and HEARTH_WORKER_MEMBIND
("0" or "") in the environment, the same variables hearth-worker reads
(src/launcher/apply.h). They must be applied before torch is imported, so
that OpenMP's threads inherit the mask.
"""

import ctypes
import os

MPOL_BIND = 2
SYS_SET_MEMPOLICY = 238  # x86_64


def parse_cpu_list(text):
    """'0-2,5' -> [0, 1, 2, 5]; raises ValueError on malformed text."""
    cpus = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            first, last = part.split("-", 1)
            cpus.extend(range(int(first), int(last) + 1))
        else:
            cpus.append(int(part))
    return cpus


def apply_from_environment(log):
    """Binds this process as the launcher planned; `log(line)` reports it."""
    cpus_text = os.environ.get("HEARTH_WORKER_CPUS", "")
    if not cpus_text:
        return
    cpus = parse_cpu_list(cpus_text)
    os.sched_setaffinity(0, cpus)
    message = f"bound to cpus {cpus_text}"
    nodes_text = os.environ.get("HEARTH_WORKER_MEMBIND", "")
    if nodes_text:
        mask = 0
        for node in parse_cpu_list(nodes_text):
            mask |= 1 << node
        libc = ctypes.CDLL(None, use_errno=True)
        node_mask = ctypes.c_ulong(mask)
        if libc.syscall(SYS_SET_MEMPOLICY, MPOL_BIND, ctypes.byref(node_mask), 64) == 0:
            message += f", memory nodes {nodes_text}"
        else:
            log(f"memory binding to nodes {nodes_text} refused: {os.strerror(ctypes.get_errno())}")
    log(message)
