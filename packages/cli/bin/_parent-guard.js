// Preloaded into the CLI when bin/radvisor.js runs it as a child process. Should the
// launcher die without passing a signal on (SIGKILL, a crash), the CLI would run on
// unattended; instead it stops as if it had been sent SIGTERM: gracefully, flushing logs.
const launcher = process.ppid
const check = setInterval(() => {
  if (process.ppid === launcher) return
  clearInterval(check)
  process.kill(process.pid, 'SIGTERM')
}, 1000)
check.unref()
