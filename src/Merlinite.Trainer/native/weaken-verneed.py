#!/usr/bin/env python3
"""Marks one symbol-version requirement of an ELF64 shared library as weak (VER_FLG_WEAK).

Usage: weaken-verneed.py LIBRARY VERSION_NAME   (e.g. libLibTorchSharp.so GLIBCXX_3.4.32)

Why: the dynamic loader refuses to load a library that requires a version its dependency does not define
("version `GLIBCXX_3.4.32' not found"), unless that requirement is flagged weak, in which case it only warns with
LD_DEBUG and goes on to resolve the symbols by name (fix-libtorchsharp.sh provides them with a shim library).

The layout walked here is the ELF64 little-endian one from <elf.h>:
  Elf64_Ehdr  e_shoff (0x28, u64), e_shentsize (0x3A, u16), e_shnum (0x3C, u16), e_shstrndx (0x3E, u16)
  Elf64_Shdr  sh_name (0x00, u32), sh_type (0x04, u32), sh_offset (0x18, u64), sh_size (0x20, u64), sh_link (0x28, u32)
  Elf64_Verneed  vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32        (16 bytes)
  Elf64_Vernaux  vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32  (16 bytes)
.gnu.version_r (type SHT_GNU_verneed) is a linked list of Verneed entries, one per needed library, each with a
linked list of Vernaux entries, one per required version; names are offsets into the section named by sh_link
(.dynstr). Only the two bytes of vna_flags change, so the file keeps its size and every other byte.
Exit status: 0 when the flag is set (or already was), 1 when the file has no such requirement or is not ELF64 LE.
"""
import struct
import sys

SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def c_string(data, offset):
    end = data.index(b"\0", offset)
    return data[offset:end].decode("ascii", "replace")


def weaken(path, version):
    with open(path, "rb") as f:
        data = bytearray(f.read())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit(f"{path}: not a little-endian ELF64 file")

    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = []
    for i in range(e_shnum):
        base = e_shoff + i * e_shentsize
        _name, sh_type = struct.unpack_from("<II", data, base)
        sh_offset, sh_size = struct.unpack_from("<QQ", data, base + 0x18)
        sh_link, = struct.unpack_from("<I", data, base + 0x28)
        sections.append((sh_type, sh_offset, sh_size, sh_link))

    verneed = [s for s in sections if s[0] == SHT_GNU_VERNEED]
    if not verneed:
        raise SystemExit(f"{path}: no .gnu.version_r section")
    _, vn_offset, _, strtab_index = verneed[0]
    strtab_offset = sections[strtab_index][1]

    found = changed = False
    need = vn_offset
    while True:
        _vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, need)
        aux = need + vn_aux
        for _ in range(vn_cnt):
            _hash, vna_flags, _other, vna_name, vna_next = struct.unpack_from("<IHHII", data, aux)
            if c_string(data, strtab_offset + vna_name) == version:
                found = True
                if not vna_flags & VER_FLG_WEAK:
                    struct.pack_into("<H", data, aux + 4, vna_flags | VER_FLG_WEAK)
                    changed = True
                    print(f"{path}: {version} (from {c_string(data, strtab_offset + vn_file)}) is now a weak requirement")
            if vna_next == 0:
                break
            aux += vna_next
        if vn_next == 0:
            break
        need += vn_next

    if not found:
        raise SystemExit(f"{path}: does not require {version}")
    if not changed:
        return
    with open(path, "r+b") as f:  # in place: keeps the inode, so write only after the caller broke any hard link
        f.write(data)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    weaken(sys.argv[1], sys.argv[2])
