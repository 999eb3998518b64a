import * as nodeFs from 'node:fs'
import { compileC } from './_native.ts'

/** The most mappings of the executable one pass pages out (a Bun binary has four or five). */
const MAX_RANGES = 64
/** The most passes one process may start (`radvisor run` starts two). */
const MAX_PASSES = 16
/** `page_out_start`'s answer once every pass was used. */
const NO_PASS_LEFT = -1

/**
 * `page_out_start` copies the ranges into a slot of its own and pages them out with
 * `madvise(MADV_PAGEOUT)` on a thread of its own, so that the event loop (and the next tick)
 * does not wait the ~60 ms the kernel takes to reclaim tens of MiB. Passes may overlap (madvise
 * allows it). Each thread writes only its own slot's `done` and `error`, and only the calling
 * thread writes `started`, so no two threads write the same variable.
 */
const SOURCE = `
typedef unsigned long size_t;
typedef unsigned long pthread_t;
extern int madvise(void *addr, size_t length, int advice);
extern int pthread_create(pthread_t *thread, const void *attributes, void *(*start)(void *), void *argument);
extern int pthread_detach(pthread_t thread);
extern int *__errno_location(void);

#define MADV_PAGEOUT 21
static unsigned long ranges[${MAX_PASSES}][${2 * MAX_RANGES}];
static int counts[${MAX_PASSES}];
static volatile int done[${MAX_PASSES}], errors[${MAX_PASSES}];
static int started;

static void *page_out(void *slot) {
  int pass = (int)(long)slot;
  for (int i = 0; i < counts[pass]; i++)
    if (madvise((void *)ranges[pass][2 * i], ranges[pass][2 * i + 1], MADV_PAGEOUT) != 0) errors[pass] = *__errno_location();
  done[pass] = 1;
  return 0;
}

int page_out_start(const unsigned long *given, int given_count) {
  if (started == ${MAX_PASSES}) return ${NO_PASS_LEFT};
  int pass = started;
  if (given_count > ${MAX_RANGES}) given_count = ${MAX_RANGES};
  for (int i = 0; i < 2 * given_count; i++) ranges[pass][i] = given[i];
  counts[pass] = given_count;
  pthread_t thread;
  int failed = pthread_create(&thread, 0, page_out, (void *)(long)pass);
  if (failed) return failed;
  started++;
  pthread_detach(thread);
  return 0;
}

/* Passes started; whether every one has finished; the errno of a failed madvise (0: none). */
int page_out_started(void) { return started; }
int page_out_finished(void) {
  for (int pass = 0; pass < started; pass++) if (!done[pass]) return 0;
  return 1;
}
int page_out_error(void) {
  for (int pass = 0; pass < started; pass++) if (errors[pass]) return errors[pass];
  return 0;
}
`

type Native = ReturnType<typeof compile>
let native: Native | null = null

function compile() {
  return compileC('radvisor-page-out.c', SOURCE, {
    page_out_start: { args: ['ptr', 'i32'], returns: 'i32' },
    page_out_started: { args: [], returns: 'i32' },
    page_out_finished: { args: [], returns: 'i32' },
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
  if (failed === NO_PASS_LEFT) return `all ${MAX_PASSES} passes a process may start were used`
  return failed === 0 ? null : `no thread could be started (error ${failed})`
}

/** Whether a page-out pass started, and whether every one started has finished (for tests and benchmarks). */
export function pageOutProgress(): { readonly started: boolean; readonly finished: boolean; readonly errno: number } {
  if (native === null || 'problem' in native) return { started: false, finished: false, errno: 0 }
  const started = native.symbols.page_out_started() > 0
  return { started, finished: started && native.symbols.page_out_finished() === 1, errno: native.symbols.page_out_error() }
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
