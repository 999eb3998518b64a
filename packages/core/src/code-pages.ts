import * as nodeFs from 'node:fs'
import { compileC } from './_native.ts'

/** The most mappings of the executable one pass pages out (a Bun binary has four or five). */
const MAX_RANGES = 64

/**
 * `page_out_start` copies the ranges and pages them out with `madvise(MADV_PAGEOUT)` on a
 * thread of its own, so that the event loop (and the next tick) does not wait the ~60 ms the
 * kernel takes to reclaim tens of MiB. One pass runs at a time: a start during a pass makes the
 * thread run once more. `page_out_state` is 0 before any pass, 1 while one
 * runs, 2 after; `page_out_error` the errno of the last failed madvise (0: none). The ranges
 * are the executable's, which do not change, so a pass asked for during one repeats it.
 */
const SOURCE = `
typedef unsigned long size_t;
typedef unsigned long pthread_t;
extern int madvise(void *addr, size_t length, int advice);
extern int pthread_create(pthread_t *thread, const void *attributes, void *(*start)(void *), void *argument);
extern int pthread_detach(pthread_t thread);
extern int *__errno_location(void);

#define MADV_PAGEOUT 21
static unsigned long ranges[${2 * MAX_RANGES}];
static int count;
static volatile int state, again, error;

static void *page_out(void *unused) {
  do {
    again = 0;
    for (int i = 0; i < count; i++)
      if (madvise((void *)ranges[2 * i], ranges[2 * i + 1], MADV_PAGEOUT) != 0) error = *__errno_location();
  } while (again);
  state = 2;
  return 0;
}

int page_out_start(const unsigned long *given, int given_count) {
  if (given_count > ${MAX_RANGES}) given_count = ${MAX_RANGES};
  if (state == 1) {
    again = 1;
    return 0;
  }
  for (int i = 0; i < 2 * given_count; i++) ranges[i] = given[i];
  count = given_count;
  state = 1;
  pthread_t thread;
  int failed = pthread_create(&thread, 0, page_out, 0);
  if (failed) {
    state = 0;
    return failed;
  }
  pthread_detach(thread);
  return 0;
}

int page_out_state(void) { return state; }
int page_out_error(void) { return error; }
`

type Native = ReturnType<typeof compile>
let native: Native | null = null

function compile() {
  return compileC('radvisor-page-out.c', SOURCE, {
    page_out_start: { args: ['ptr', 'i32'], returns: 'i32' },
    page_out_state: { args: [], returns: 'i32' },
    page_out_error: { args: [], returns: 'i32' },
  })
}

/**
 * Gives back the resident pages of this process's executable (the Bun runtime, or radvisor's
 * standalone binary) that the process does not share with another: the kernel drops them
 * (`MADV_PAGEOUT`, Linux 5.4+), and the ones still needed come back on their next use, from the
 * page cache or the file. Starting up touches much code that never runs again (the module
 * loader and transpiler, option parsing, opening hundreds of targets): at 500 targets that was
 * over a third of the resident set. Runs on a thread of its own; returns at once, with null or
 * why nothing was started (not Linux, no TinyCC, no threads in this C library).
 *
 * Only read-only mappings are paged out (the writable ones hold the process's own data), and
 * the kernel skips pages other processes map and files the process could not write.
 */
export function pageOutExecutable(): string | null {
  native ??= compile()
  if ('problem' in native) return native.problem
  let ranges: bigint[]
  try {
    ranges = executableRanges(nodeFs.readlinkSync('/proc/self/exe'), nodeFs.readFileSync('/proc/self/maps', 'utf8'))
  } catch (error) {
    return `the executable's mappings cannot be read: ${error instanceof Error ? error.message : String(error)}`
  }
  if (ranges.length === 0) return 'no read-only mapping of the executable found in /proc/self/maps'
  const failed = native.symbols.page_out_start(new BigUint64Array(ranges), ranges.length / 2)
  return failed === 0 ? null : `no thread could be started (error ${failed})`
}

/** Whether a page-out pass started, and whether the last has finished (for tests and benchmarks). */
export function pageOutProgress(): { readonly started: boolean; readonly finished: boolean; readonly errno: number } {
  if (native === null || 'problem' in native) return { started: false, finished: false, errno: 0 }
  const state = native.symbols.page_out_state()
  return { started: state > 0, finished: state === 2, errno: native.symbols.page_out_error() }
}

/**
 * Start and length pairs of the read-only mappings of `executable` in `maps` (the text of
 * `/proc/self/maps`), at most `MAX_RANGES` of them.
 */
export function executableRanges(executable: string, maps: string): bigint[] {
  const ranges: bigint[] = []
  for (const line of maps.split('\n')) {
    const fields = line.split(/\s+/)
    // address perms offset device inode path
    if (fields.length < 6 || fields.slice(5).join(' ') !== executable || fields[1]!.includes('w')) continue
    const [start, end] = fields[0]!.split('-').map((hex) => BigInt(`0x${hex}`))
    if (start === undefined || end === undefined || end <= start) continue
    ranges.push(start, end - start)
    if (ranges.length === 2 * MAX_RANGES) break
  }
  return ranges
}
