/* fiber_switch.cpp - the context switch of fiber/fiber.h, per architecture.
 *
 *   nm_fiber_switch(void **save, void *load): push the callee-saved
 *   registers (integer and floating point) of the calling convention on the
 *   current stack, store the stack pointer in *save, load `load` as the
 *   stack pointer, pop the registers saved there and return - into the
 *   other fiber, where its own nm_fiber_switch call returns.
 *
 *   nm_fiber_trampoline: where a new fiber's first frame "returns" to; it
 *   calls entry(arg), both parked in callee-saved registers of that frame by
 *   nm_fiber_frame, through a register (no relocation, PIC or not).
 *
 * Everything else (caller-saved registers, flags) the compiler already
 * treats as clobbered by a call. Where no switch is written (or with
 * -DNM_FIBER_PORTABLE), the portable fallback is <ucontext.h>. */
#include "fiber.h"
#include <string.h>

/* Frame layout for nm_fiber_frame, in native words from the new stack
 * pointer: how many, where entry's argument, entry and the return address
 * go, and how many bytes stay free above the frame. */
#if defined(NM_FIBER_PORTABLE)
/* chosen by hand (-DNM_FIBER_PORTABLE): the <ucontext.h> fallback below */
#elif defined(__x86_64__)
/* SysV: rbx rbp r12-r15; the return slot sits just below a 16-aligned top,
 * so the trampoline's call sees the ABI's alignment. */
enum { FRAME_WORDS = 7, ARG_AT = 3 /* r12 */, ENTRY_AT = 2 /* r13 */, RET_AT = 6, HEADROOM = 0 };
__asm__(
    ".text\n"
    ".globl nm_fiber_switch\n"
    ".type nm_fiber_switch,@function\n"
    "nm_fiber_switch:\n"
    "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
    "  movq %rsp, (%rdi)\n"
    "  movq %rsi, %rsp\n"
    "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
    "  ret\n"
    ".size nm_fiber_switch, .-nm_fiber_switch\n"
    ".globl nm_fiber_trampoline\n"
    ".hidden nm_fiber_trampoline\n"
    ".type nm_fiber_trampoline,@function\n"
    "nm_fiber_trampoline:\n"
    "  movq %r12, %rdi\n"
    "  callq *%r13\n"
    "  ud2\n"
    ".size nm_fiber_trampoline, .-nm_fiber_trampoline\n");
#define NM_FIBER_ASM 1

#elif defined(__i386__)
/* cdecl: ebx esi edi ebp; arguments on the stack */
enum { FRAME_WORDS = 5, ARG_AT = 1 /* esi */, ENTRY_AT = 0 /* edi */, RET_AT = 4, HEADROOM = 0 };
__asm__(
    ".text\n"
    ".globl nm_fiber_switch\n"
    ".type nm_fiber_switch,@function\n"
    "nm_fiber_switch:\n"
    "  movl 4(%esp), %eax\n"
    "  movl 8(%esp), %edx\n"
    "  pushl %ebp\n  pushl %ebx\n  pushl %esi\n  pushl %edi\n"
    "  movl %esp, (%eax)\n"
    "  movl %edx, %esp\n"
    "  popl %edi\n  popl %esi\n  popl %ebx\n  popl %ebp\n"
    "  ret\n"
    ".size nm_fiber_switch, .-nm_fiber_switch\n"
    ".globl nm_fiber_trampoline\n"
    ".hidden nm_fiber_trampoline\n"
    ".type nm_fiber_trampoline,@function\n"
    "nm_fiber_trampoline:\n"
    "  subl $12, %esp\n"
    "  pushl %esi\n"
    "  call *%edi\n"
    "  ud2\n"
    ".size nm_fiber_trampoline, .-nm_fiber_trampoline\n");
#define NM_FIBER_ASM 1

#elif defined(__aarch64__)
/* AAPCS64: x19-x28, x29 (fp), x30 (lr), and the low halves of v8-v15 */
enum { FRAME_WORDS = 20, ARG_AT = 0 /* x19 */, ENTRY_AT = 1 /* x20 */, RET_AT = 11 /* x30 */, HEADROOM = 0 };
__asm__(
    ".text\n"
    ".globl nm_fiber_switch\n"
    ".type nm_fiber_switch,%function\n"
    "nm_fiber_switch:\n"
    "  sub sp, sp, #160\n"
    "  stp x19, x20, [sp, #0]\n  stp x21, x22, [sp, #16]\n  stp x23, x24, [sp, #32]\n"
    "  stp x25, x26, [sp, #48]\n  stp x27, x28, [sp, #64]\n  stp x29, x30, [sp, #80]\n"
    "  stp d8, d9, [sp, #96]\n  stp d10, d11, [sp, #112]\n  stp d12, d13, [sp, #128]\n  stp d14, d15, [sp, #144]\n"
    "  mov x2, sp\n"
    "  str x2, [x0]\n"
    "  mov sp, x1\n"
    "  ldp x19, x20, [sp, #0]\n  ldp x21, x22, [sp, #16]\n  ldp x23, x24, [sp, #32]\n"
    "  ldp x25, x26, [sp, #48]\n  ldp x27, x28, [sp, #64]\n  ldp x29, x30, [sp, #80]\n"
    "  ldp d8, d9, [sp, #96]\n  ldp d10, d11, [sp, #112]\n  ldp d12, d13, [sp, #128]\n  ldp d14, d15, [sp, #144]\n"
    "  add sp, sp, #160\n"
    "  ret\n"
    ".size nm_fiber_switch, .-nm_fiber_switch\n"
    ".globl nm_fiber_trampoline\n"
    ".hidden nm_fiber_trampoline\n"
    ".type nm_fiber_trampoline,%function\n"
    "nm_fiber_trampoline:\n"
    "  mov x0, x19\n"
    "  blr x20\n"
    "  brk #0\n"
    ".size nm_fiber_trampoline, .-nm_fiber_trampoline\n");
#define NM_FIBER_ASM 1

#elif defined(__arm__)
/* AAPCS: r4-r11 and lr (r3 rides along to keep 8-byte alignment), and
 * d8-d15 where there is an FPU. The same code assembles as ARM or Thumb-2;
 * `pop {..., pc}` returns into either state. */
#if defined(__ARM_FP)
#define NM_ARM_VFP_WORDS 16
#define NM_ARM_VPUSH "  vpush {d8-d15}\n"
#define NM_ARM_VPOP "  vpop {d8-d15}\n"
#else
#define NM_ARM_VFP_WORDS 0
#define NM_ARM_VPUSH ""
#define NM_ARM_VPOP ""
#endif
#if defined(__thumb__)
#define NM_ARM_MODE ".thumb\n.thumb_func\n"
#else
#define NM_ARM_MODE ".arm\n"
#endif
enum {
    FRAME_WORDS = NM_ARM_VFP_WORDS + 10,
    ARG_AT = NM_ARM_VFP_WORDS + 1,    /* r4 */
    ENTRY_AT = NM_ARM_VFP_WORDS + 2,  /* r5 */
    RET_AT = NM_ARM_VFP_WORDS + 9,    /* pc */
    HEADROOM = 0
};
__asm__(
    ".text\n"
    ".syntax unified\n"
    ".align 2\n"
    ".globl nm_fiber_switch\n"
    ".type nm_fiber_switch,%function\n"
    NM_ARM_MODE
    "nm_fiber_switch:\n"
    "  push {r3-r11, lr}\n"
    NM_ARM_VPUSH
    "  mov r2, sp\n"
    "  str r2, [r0]\n"
    "  mov sp, r1\n"
    NM_ARM_VPOP
    "  pop {r3-r11, pc}\n"
    ".size nm_fiber_switch, .-nm_fiber_switch\n"
    ".align 2\n"
    ".globl nm_fiber_trampoline\n"
    ".hidden nm_fiber_trampoline\n"
    ".type nm_fiber_trampoline,%function\n"
    NM_ARM_MODE
    "nm_fiber_trampoline:\n"
    "  mov r0, r4\n"
    "  blx r5\n"
    "  bkpt #0\n"
    ".size nm_fiber_trampoline, .-nm_fiber_trampoline\n");
#define NM_FIBER_ASM 1

#elif defined(__mips__) && defined(_ABIO32)
/* o32: s0-s7, fp, gp, ra, and f20-f30 (even) with a hardware FPU. The 32
 * bytes above a new frame are the argument area o32 callers provide. */
#if defined(__mips_hard_float)
#define NM_MIPS_FSAVE "  sdc1 $f20, 48($sp)\n  sdc1 $f22, 56($sp)\n  sdc1 $f24, 64($sp)\n" \
                      "  sdc1 $f26, 72($sp)\n  sdc1 $f28, 80($sp)\n  sdc1 $f30, 88($sp)\n"
#define NM_MIPS_FLOAD "  ldc1 $f20, 48($sp)\n  ldc1 $f22, 56($sp)\n  ldc1 $f24, 64($sp)\n" \
                      "  ldc1 $f26, 72($sp)\n  ldc1 $f28, 80($sp)\n  ldc1 $f30, 88($sp)\n"
#else
#define NM_MIPS_FSAVE ""
#define NM_MIPS_FLOAD ""
#endif
enum { FRAME_WORDS = 24, ARG_AT = 0 /* s0 */, ENTRY_AT = 1 /* s1 */, RET_AT = 10 /* ra */, HEADROOM = 32 };
__asm__(
    ".text\n"
    ".set push\n"
    ".set nomips16\n"
    ".set reorder\n"
    ".globl nm_fiber_switch\n"
    ".type nm_fiber_switch,@function\n"
    ".ent nm_fiber_switch\n"
    "nm_fiber_switch:\n"
    "  addiu $sp, $sp, -96\n"
    "  sw $s0, 0($sp)\n  sw $s1, 4($sp)\n  sw $s2, 8($sp)\n  sw $s3, 12($sp)\n"
    "  sw $s4, 16($sp)\n  sw $s5, 20($sp)\n  sw $s6, 24($sp)\n  sw $s7, 28($sp)\n"
    "  sw $fp, 32($sp)\n  sw $gp, 36($sp)\n  sw $ra, 40($sp)\n"
    NM_MIPS_FSAVE
    "  sw $sp, 0($a0)\n"
    "  move $sp, $a1\n"
    "  lw $s0, 0($sp)\n  lw $s1, 4($sp)\n  lw $s2, 8($sp)\n  lw $s3, 12($sp)\n"
    "  lw $s4, 16($sp)\n  lw $s5, 20($sp)\n  lw $s6, 24($sp)\n  lw $s7, 28($sp)\n"
    "  lw $fp, 32($sp)\n  lw $gp, 36($sp)\n  lw $ra, 40($sp)\n"
    NM_MIPS_FLOAD
    "  addiu $sp, $sp, 96\n"
    "  jr $ra\n"
    ".end nm_fiber_switch\n"
    ".size nm_fiber_switch, .-nm_fiber_switch\n"
    ".globl nm_fiber_trampoline\n"
    ".hidden nm_fiber_trampoline\n"
    ".type nm_fiber_trampoline,@function\n"
    ".ent nm_fiber_trampoline\n"
    "nm_fiber_trampoline:\n"
    "  move $a0, $s0\n"
    "  move $t9, $s1\n"   /* PIC callees find their gp from t9 */
    "  jalr $t9\n"
    "  break\n"
    ".end nm_fiber_trampoline\n"
    ".size nm_fiber_trampoline, .-nm_fiber_trampoline\n"
    ".set pop\n");
#define NM_FIBER_ASM 1

#elif defined(__riscv) && __riscv_xlen == 64
/* LP64: ra, s0-s11, and fs0-fs11 with the D extension */
#if defined(__riscv_flen) && __riscv_flen >= 64
#define NM_RV_FSAVE "  fsd fs0, 104(sp)\n  fsd fs1, 112(sp)\n  fsd fs2, 120(sp)\n  fsd fs3, 128(sp)\n" \
                    "  fsd fs4, 136(sp)\n  fsd fs5, 144(sp)\n  fsd fs6, 152(sp)\n  fsd fs7, 160(sp)\n" \
                    "  fsd fs8, 168(sp)\n  fsd fs9, 176(sp)\n  fsd fs10, 184(sp)\n  fsd fs11, 192(sp)\n"
#define NM_RV_FLOAD "  fld fs0, 104(sp)\n  fld fs1, 112(sp)\n  fld fs2, 120(sp)\n  fld fs3, 128(sp)\n" \
                    "  fld fs4, 136(sp)\n  fld fs5, 144(sp)\n  fld fs6, 152(sp)\n  fld fs7, 160(sp)\n" \
                    "  fld fs8, 168(sp)\n  fld fs9, 176(sp)\n  fld fs10, 184(sp)\n  fld fs11, 192(sp)\n"
#else
#define NM_RV_FSAVE ""
#define NM_RV_FLOAD ""
#endif
enum { FRAME_WORDS = 26, ARG_AT = 2 /* s1 */, ENTRY_AT = 3 /* s2 */, RET_AT = 0 /* ra */, HEADROOM = 0 };
__asm__(
    ".text\n"
    ".globl nm_fiber_switch\n"
    ".type nm_fiber_switch,@function\n"
    "nm_fiber_switch:\n"
    "  addi sp, sp, -208\n"
    "  sd ra, 0(sp)\n  sd s0, 8(sp)\n  sd s1, 16(sp)\n  sd s2, 24(sp)\n  sd s3, 32(sp)\n"
    "  sd s4, 40(sp)\n  sd s5, 48(sp)\n  sd s6, 56(sp)\n  sd s7, 64(sp)\n  sd s8, 72(sp)\n"
    "  sd s9, 80(sp)\n  sd s10, 88(sp)\n  sd s11, 96(sp)\n"
    NM_RV_FSAVE
    "  sd sp, 0(a0)\n"
    "  mv sp, a1\n"
    "  ld ra, 0(sp)\n  ld s0, 8(sp)\n  ld s1, 16(sp)\n  ld s2, 24(sp)\n  ld s3, 32(sp)\n"
    "  ld s4, 40(sp)\n  ld s5, 48(sp)\n  ld s6, 56(sp)\n  ld s7, 64(sp)\n  ld s8, 72(sp)\n"
    "  ld s9, 80(sp)\n  ld s10, 88(sp)\n  ld s11, 96(sp)\n"
    NM_RV_FLOAD
    "  addi sp, sp, 208\n"
    "  ret\n"
    ".size nm_fiber_switch, .-nm_fiber_switch\n"
    ".globl nm_fiber_trampoline\n"
    ".hidden nm_fiber_trampoline\n"
    ".type nm_fiber_trampoline,@function\n"
    "nm_fiber_trampoline:\n"
    "  mv a0, s1\n"
    "  jalr s2\n"
    "  ebreak\n"
    ".size nm_fiber_trampoline, .-nm_fiber_trampoline\n");
#define NM_FIBER_ASM 1
#endif

#if defined(NM_FIBER_ASM)

/* hidden: its address is taken PC-relative, without a GOT entry */
extern "C" __attribute__((visibility("hidden"))) void nm_fiber_trampoline(void);

void *nm_fiber_frame(nm_fiber *f, char *top, void (*entry)(void *), void *arg)
{
    (void)f;
    uintptr_t *frame = (uintptr_t *)(top - HEADROOM) - FRAME_WORDS;
    memset(frame, 0, FRAME_WORDS * sizeof(uintptr_t));
    frame[ARG_AT] = (uintptr_t)arg;
    frame[ENTRY_AT] = (uintptr_t)entry;
    frame[RET_AT] = (uintptr_t)nm_fiber_trampoline;
    return frame;
}

#elif !defined(NM_WITHOUT_fiber)
/* The portable fallback: <ucontext.h>. A "stack pointer" is then the
 * address of a saved context. Both contexts of a fiber (its own and its
 * scheduler's) live at the top of its stack, so a switch saves into the one
 * *save already names and resumes the other. Slower (a signal-mask system
 * call per switch), and absent from some C libraries (musl). */
#include <ucontext.h>

struct contexts {
    ucontext_t fiber, caller;
};

struct start {
    void (*entry)(void *);
    void *arg;
};

/* makecontext passes ints: the start record's address comes in two halves */
static void begin(unsigned hi, unsigned lo)
{
    const start *st = (const start *)(((uintptr_t)hi << 16 << 16) | (uintptr_t)lo);
    st->entry(st->arg);
}

extern "C" void nm_fiber_switch(void **save, void *load)
{
    swapcontext((ucontext_t *)*save, (ucontext_t *)load);
}

void *nm_fiber_frame(nm_fiber *f, char *top, void (*entry)(void *), void *arg)
{
    contexts *cx = (contexts *)(((uintptr_t)top - sizeof(contexts)) & ~(uintptr_t)15);
    start *st = (start *)cx - 1;
    st->entry = entry;
    st->arg = arg;
    getcontext(&cx->fiber);
    cx->fiber.uc_stack.ss_sp = f->stack;
    cx->fiber.uc_stack.ss_size = (size_t)((char *)st - f->stack);
    cx->fiber.uc_link = 0;
    uintptr_t a = (uintptr_t)st;
    makecontext(&cx->fiber, (void (*)(void))begin, 2, (unsigned)(a >> 16 >> 16), (unsigned)a);
    f->caller_sp = &cx->caller;
    return &cx->fiber;
}
#endif
