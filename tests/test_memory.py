"""Process memory (reference section C) beyond globals and the stack: malloc'd blocks,
MAP_PRIVATE and MAP_SHARED, munmap and mmap after fork, MADV_DONTFORK and
MADV_WIPEONFORK; and the properties that watch it (cow-isolation, no-shared-writable-page).
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import O, explore, outcomes_of, stdouts_of, verdicts
from forkspec.errors import ModelError

PRIVATE = ("cow-isolation", "no-shared-writable-page")


def test_malloc_block_is_copied_on_write_at_fork():
    src = """
    int *n = malloc(sizeof(int));
    int *a = calloc(3, sizeof(int));
    *n = 1;
    a[2] = 5;
    if (fork() == 0) {
        *n = 2;
        a[2] = 6;
        printf("child %d %d\\n", *n, a[2]);
        exit(0);
    }
    wait(NULL);
    printf("parent %d %d %d\\n", *n, a[0], a[2]);
    return 0;
    """
    assert outcomes_of(src) == {O("child 2 6\nparent 1 0 5\n", processes=2)}
    v = verdicts(src, properties=PRIVATE)
    assert v["cow-isolation"] == "holds" and v["no-shared-writable-page"] == "holds"


def test_malloc_pointer_prints_the_same_in_parent_and_child():
    # item 12 for the heap
    src = """
    int *p = malloc(sizeof(int));
    pid_t pid = fork();
    if (pid == 0) *p = 3;
    printf("%p\\n", (void *) p);
    if (pid > 0) wait(NULL);
    return 0;
    """
    (out,) = stdouts_of(src)
    first, second = out.splitlines()
    assert first == second and first.startswith("0x")


def test_blocks_get_distinct_addresses_and_a_freed_block_s_address_is_reused():
    src = """
    int *a = malloc(8);
    int *b = malloc(8);
    long old = (long) b;
    free(b);
    int *c = malloc(8);
    printf("%d %d\\n", a != b, (long) c == old);
    free(a);
    free(c);
    return 0;
    """
    assert stdouts_of(src) == {"1 1\n"}


def test_free_of_a_pointer_malloc_did_not_return_is_reported():
    with pytest.raises(ModelError, match="free"):
        explore("int x; free(&x); return 0;")


def test_free_in_the_child_leaves_the_parent_s_block():
    src = """
    int *p = malloc(sizeof(int));
    *p = 9;
    if (fork() == 0) { free(p); _exit(0); }
    wait(NULL);
    printf("%d\\n", *p);
    return 0;
    """
    assert stdouts_of(src) == {"9\n"}


def test_munmap_in_the_child_leaves_the_parent_s_mapping():
    # item 16: the child's next touch is a SIGSEGV, the parent still reads the page
    src = """
    int s;
    int *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *p = 4;
    if (fork() == 0) {
        printf("%d\\n", munmap(p, 4096));
        fflush(stdout);
        _exit(*p);
    }
    wait(&s);
    printf("%d %d\\n", WTERMSIG(s), *p);
    return 0;
    """
    assert stdouts_of(src) == {"0\n11 4\n"}


def test_munmap_of_an_unaligned_address_fails_with_einval():
    src = """
    int *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int r = munmap(p + 1, 4096);
    printf("%d %d\\n", r, errno == EINVAL);
    return 0;
    """
    assert stdouts_of("#include <errno.h>\n" + _main(src)) == {"-1 1\n"}


def _main(body: str) -> str:
    return "#include <stdio.h>\n#include <unistd.h>\nint main(void)\n{\n" + body + "\n}\n"


def test_shared_mappings_made_after_fork_are_not_shared():
    # item 16: each process's new mapping is its own, though both sit at the same address
    src = """
    pid_t pid = fork();
    int *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (pid == 0) { *p = 1; _exit(0); }
    wait(NULL);
    printf("%d\\n", *p);
    return 0;
    """
    assert stdouts_of(src) == {"0\n"}


def test_madv_dontfork_range_is_absent_in_the_child_and_madv_dofork_undoes_it():
    # item 17
    src = """
    int s;
    int *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    a[0] = 7;
    madvise(a, 4096, MADV_DONTFORK);
    UNDO
    if (fork() == 0)
        _exit(a[0]);
    wait(&s);
    printf("%d %d %d\\n", WIFSIGNALED(s) ? WTERMSIG(s) : 0, WEXITSTATUS(s), a[0]);
    return 0;
    """
    assert stdouts_of(src.replace("UNDO", "")) == {"11 0 7\n"}
    assert stdouts_of(src.replace("UNDO", "madvise(a, 4096, MADV_DOFORK);")) == {"0 7 7\n"}


def test_madv_wipeonfork_gives_child_and_grandchild_zeros():
    # item 18: the setting stays in the child, so the grandchild's copy is wiped again
    src = """
    int *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    b[0] = 5;
    madvise(b, 4096, MADV_WIPEONFORK);
    if (fork() == 0) {
        int was = b[0];
        b[0] = 6;
        if (fork() == 0) {
            printf("grandchild %d\\n", b[0]);
            exit(0);
        }
        wait(NULL);
        printf("child %d %d\\n", was, b[0]);
        exit(0);
    }
    wait(NULL);
    printf("parent %d\\n", b[0]);
    return 0;
    """
    assert stdouts_of(src) == {"grandchild 0\nchild 0 6\nparent 5\n"}
    v = verdicts(src, properties=PRIVATE)
    assert v["cow-isolation"] == "holds" and v["no-shared-writable-page"] == "holds"


def test_madvise_errors():
    # WIPEONFORK on a shared mapping: EINVAL; an unmapped range: ENOMEM; an unknown advice: EINVAL
    src = """
    int *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int a = madvise(sh, 4096, MADV_WIPEONFORK);
    int ea = errno;
    munmap(sh, 4096);
    int b = madvise(sh, 4096, MADV_DONTFORK);
    int eb = errno;
    printf("%d %d %d %d\\n", a, ea == EINVAL, b, eb == ENOMEM);
    return 0;
    """
    assert stdouts_of("#include <errno.h>\n" + _main(src)) == {"-1 1 -1 1\n"}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["parent", "child"]), st.integers(0, 3), st.integers(1, 9)),
                min_size=1, max_size=4))
def test_private_heap_writes_after_fork_stay_in_their_process(writes):
    # whatever each side writes after fork into a malloc'd array, the other side never sees it
    lines = []
    for who, i, v in writes:
        lines.append(f"if ({'pid == 0' if who == 'child' else 'pid > 0'}) a[{i}] = {v};")
    src = f"""
    int *a = calloc(4, sizeof(int));
    pid_t pid = fork();
    {' '.join(lines)}
    printf("%d %d %d %d\\n", a[0], a[1], a[2], a[3]);
    fflush(stdout);
    if (pid > 0) wait(NULL);
    return 0;
    """
    expect = {}
    for side in ("parent", "child"):
        cells = [0, 0, 0, 0]
        for who, i, v in writes:
            if who == side:
                cells[i] = v
        expect[side] = " ".join(map(str, cells)) + "\n"
    outs = stdouts_of(src)
    assert outs == {expect["parent"] + expect["child"], expect["child"] + expect["parent"]}
    v = verdicts(src, properties=PRIVATE)
    assert v["cow-isolation"] == "holds" and v["no-shared-writable-page"] == "holds"
