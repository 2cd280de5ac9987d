"""Processes of one run: who is rank 0, the process group, and "rank 0 first" for work that must happen once.

Launched by `torchrun` or the `deepspeed` launcher, each process reads RANK, LOCAL_RANK and WORLD_SIZE from its
environment; a plain `python -m reproduce` is one process of one. DeepSpeed needs a process group even then, and
on a CPU its default backend (oneCCL) is not installed, so the group is started here with gloo before the Trainer
sees it (with NCCL on GPUs, as DeepSpeed would choose).
"""

from __future__ import annotations

import os
import socket
from contextlib import contextmanager


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main() -> bool:
    return rank() == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(deepspeed: bool, cuda: bool) -> None:
    """The process group this run needs: DeepSpeed's always, torch's when there are several processes."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return
    if deepspeed:
        for key, value in {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1"}.items():
            os.environ.setdefault(key, value)
        os.environ.setdefault("MASTER_PORT", str(_free_port()))
        import deepspeed as ds

        ds.init_distributed(dist_backend=None if cuda else "gloo")
    elif world_size() > 1:
        if cuda:
            import torch

            torch.cuda.set_device(local_rank())
        dist.init_process_group(backend="nccl" if cuda else "gloo")


def barrier() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.barrier()


@contextmanager
def main_first():
    """The first process of each machine runs the block first (a download, building the encoded data set) while the
    others wait; they then run it too and find its result in the machine's cache."""
    leader = local_rank() == 0
    if not leader:
        barrier()
    try:
        yield
    finally:
        if leader:
            barrier()


def finish() -> None:
    """Every process waits for rank 0's last writes, then the group is taken down, so that no process exits (and
    tears its communication threads down) while another still uses them."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        barrier()
        dist.destroy_process_group()
