#!/usr/bin/env python
"""Which scoreboard each instruction of a SASS listing sets and waits on (sm_70+ control bits), to see how ptxas
tracks a kernel's global loads. Reads the `.sass` files `benchmarks/sass_offline.py` writes (cuobjdump -sass):

    MEDSEGMAMBA_TRITON_SPLIT_N=2 python benchmarks/sass_offline.py vmf
    python benchmarks/session13/sb_decode.py /tmp/sass_offline/0__fwd_kernel.cubin.sass [--from 1a20 --to 3b70]

It prints the global loads with the scoreboard they set (W0-W5), the instructions that wait on a scoreboard
(wait[...]), and a count of the loads per scoreboard. The control bits are the top 23 bits of each 128-bit instruction
(the second 64-bit word cuobjdump prints): stall cycles (4 bits, from bit 41 of that word), yield (1), write scoreboard
(3; 7 = none), read scoreboard (3), wait mask (6), reuse (4); the layout as documented by the reverse-engineering
work on Volta/Turing SASS (Jia et al., "Dissecting the NVIDIA Volta GPU Architecture via Microbenchmarking", 2018, and
the open-source assemblers built on it, e.g. cloudcores/CuAssembler's control-code notes).
"""
import argparse, collections, re


def decode(path:str, lo:int=0, hi:int=1 << 40):
    "Yield (address, text, stall, write SB, read SB, wait mask) of each instruction in [lo, hi]."
    lines = open(path).read().splitlines()
    for i, line in enumerate(lines[:-1]):
        m = re.match(r"\s+/\*([0-9a-f]{4,})\*/\s+(.*?);\s+/\* 0x([0-9a-f]{16}) \*/", line)
        m2 = m and re.match(r"\s+/\* 0x([0-9a-f]{16}) \*/", lines[i + 1])
        if not m2: continue
        a, w = int(m.group(1), 16), int(m2.group(1), 16)
        if lo <= a <= hi:
            yield a, m.group(2).strip(), (w >> 41) & 0xF, (w >> 46) & 7, (w >> 49) & 7, (w >> 52) & 0x3F


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sass", help="a cuobjdump -sass listing (sass_offline.py writes one per kernel)")
    p.add_argument("--from", dest="lo", default="0", help="first address (hex)")
    p.add_argument("--to", dest="hi", default="ffffffff", help="last address (hex)")
    a = p.parse_args(argv)
    per_sb = collections.Counter()
    for addr, text, stall, wr, rd, wait in decode(a.sass, int(a.lo, 16), int(a.hi, 16)):
        is_ld = text.split()[0].lstrip("@!P0123456789 ").startswith("LDG") or " LDG" in text
        if is_ld: per_sb[f"W{wr}" if wr != 7 else "none"] += 1
        flags = ([f"W{wr}"] if wr != 7 else []) + ([f"R{rd}"] if rd != 7 else []) + \
                ([f"wait[{','.join(str(b) for b in range(6) if wait >> b & 1)}]"] if wait else [])
        if is_ld or wait:
            print(f"{addr:05x} {text[:64]:64s} s{stall} {' '.join(flags)}")
    print("global loads per scoreboard:", dict(per_sb))


if __name__ == "__main__":
    main()
