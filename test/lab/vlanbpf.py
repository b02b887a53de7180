#!/usr/bin/env python3
"""Load a tiny tc (cls_bpf, direct-action) program that pushes or pops VLAN tags, and pin it.

    vlanbpf.py PIN_PATH push TPID:VID [TPID:VID ...]   # tags pushed in order: the last one is outermost
    vlanbpf.py PIN_PATH pop COUNT

This kernel has neither act_vlan nor the 8021q module, but it has cls_bpf and the
bpf_skb_vlan_push/pop helpers, which do exactly what `tc action vlan` would. The bytecode is a
handful of instructions, written out here so no BPF compiler is needed. PIN_PATH must be on a
bpffs mount; attach it with `tc filter add dev X egress|ingress bpf da object-pinned PIN_PATH`.
"""

import ctypes
import os
import struct
import sys

SYS_BPF = 321  # x86_64
BPF_PROG_LOAD, BPF_OBJ_PIN = 5, 6
BPF_PROG_TYPE_SCHED_CLS = 3
HELPER_SKB_VLAN_PUSH, HELPER_SKB_VLAN_POP = 18, 19


def insn(code: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    return struct.pack("<BBhi", code, (src << 4) | dst, off, imm)


def mov_reg(dst: int, src: int) -> bytes:
    return insn(0xBF, dst, src)  # BPF_ALU64 | BPF_MOV | BPF_X


def mov_imm(dst: int, imm: int) -> bytes:
    return insn(0xB7, dst, imm=imm)  # BPF_ALU64 | BPF_MOV | BPF_K


def call(helper: int) -> bytes:
    return insn(0x85, imm=helper)  # BPF_JMP | BPF_CALL


def program(action: str, args: list[str]) -> bytes:
    code = mov_reg(6, 1)  # keep the skb pointer in a callee-saved register
    if action == "push":
        for arg in args:
            tpid, vid = (int(x, 0) for x in arg.split(":"))
            tpid_be = int.from_bytes(tpid.to_bytes(2, "big"), "little")  # helper wants __be16
            code += mov_reg(1, 6) + mov_imm(2, tpid_be) + mov_imm(3, vid) + call(HELPER_SKB_VLAN_PUSH)
    elif action == "pop":
        for _ in range(int(args[0])):
            code += mov_reg(1, 6) + call(HELPER_SKB_VLAN_POP)
    else:
        raise SystemExit(f"unknown action {action}")
    return code + mov_imm(0, 0) + insn(0x95)  # return TC_ACT_OK


def bpf(cmd: int, attr: ctypes.Array) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    ret = libc.syscall(SYS_BPF, cmd, attr, len(attr))
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"bpf({cmd}): {os.strerror(err)}")
    return ret


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    pin_path, action, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    code = ctypes.create_string_buffer(program(action, args))
    license_ = ctypes.create_string_buffer(b"GPL")
    log = ctypes.create_string_buffer(65536)

    attr = ctypes.create_string_buffer(128)
    struct.pack_into("<IIQQIIQ", attr, 0, BPF_PROG_TYPE_SCHED_CLS, (len(code) - 1) // 8,
                     ctypes.addressof(code), ctypes.addressof(license_), 1, len(log), ctypes.addressof(log))
    try:
        fd = bpf(BPF_PROG_LOAD, attr)
    except OSError:
        print(log.value.decode(errors="replace"), file=sys.stderr)
        raise

    path = ctypes.create_string_buffer(pin_path.encode())
    pin = ctypes.create_string_buffer(16)
    struct.pack_into("<QI", pin, 0, ctypes.addressof(path), fd)
    bpf(BPF_OBJ_PIN, pin)
    return 0


if __name__ == "__main__":
    sys.exit(main())
