/* qcount - count guest instructions from a QEMU user-mode log written with
 * `-d in_asm,exec,nochain`: every translated block (in_asm: "IN:" then one "0x<pc>:" line per
 * guest instruction) gives its instruction count; every executed block ("Trace N: host
 * [cs_base/pc/flags/cflags]") adds its count. Reads the log on stdin, prints
 * {"instructions": N, "blocks": B, "unknown_blocks": U}. A host tool for `cribwatch board bench`
 * (Debian's static qemu-user cannot load TCG plugins). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HBITS 20
#define HSIZE (1u << HBITS)

static unsigned long keys[HSIZE];
static unsigned vals[HSIZE];
static unsigned char used[HSIZE];

static unsigned slot(unsigned long pc)
{
    unsigned h = (unsigned)((pc * 2654435761u) >> 4) & (HSIZE - 1u);
    while (used[h] && keys[h] != pc)
        h = (h + 1u) & (HSIZE - 1u);
    return h;
}

int main(void)
{
    static char line[4096];
    unsigned long long insns = 0, blocks = 0, unknown = 0;
    unsigned long cur_pc = 0;
    unsigned cur_n = 0;
    int in_block = 0;
    while (fgets(line, sizeof line, stdin)) {
        if (in_block) {
            if (line[0] == '0' && line[1] == 'x') {
                if (cur_n == 0)
                    cur_pc = strtoul(line + 2, NULL, 16);
                cur_n++;
                continue;
            }
            if (cur_n) {
                unsigned h = slot(cur_pc);
                used[h] = 1;
                keys[h] = cur_pc;
                vals[h] = cur_n;
            }
            in_block = 0;
        }
        if (strncmp(line, "IN:", 3) == 0) {
            in_block = 1;
            cur_n = 0;
        } else if (strncmp(line, "Trace ", 6) == 0) {
            char *p = strchr(line, '[');
            unsigned h;
            unsigned long pc;
            if (!p || !(p = strchr(p, '/')))
                continue;
            pc = strtoul(p + 1, NULL, 16);
            h = slot(pc);
            blocks++;
            if (used[h])
                insns += vals[h];
            else
                unknown++;
        }
    }
    printf("{\"instructions\": %llu, \"blocks\": %llu, \"unknown_blocks\": %llu}\n", insns, blocks,
           unknown);
    return 0;
}
