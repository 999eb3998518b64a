/**
 * The page's script (plain browser JS, inlined after uPlot): draws four zoomable charts per
 * target from `RADVISOR_TARGETS` and shades the millibottlenecks of each chart's resource.
 * Drag to zoom, double-click to reset; zooming one chart zooms its group (the target, or
 * every target when aligned). `window.radvisorCharts` lists the charts for tests.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  var SHADE = 'rgba(220, 38, 38, 0.22)'
  var data = window.RADVISOR_TARGETS
  var aligned = window.RADVISOR_ALIGNED
  var charts = (window.radvisorCharts = [])
  var groups = {}

  function bytes(v) {
    if (v == null) return '-'
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0
    while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++ }
    return (i === 0 ? v.toFixed(0) : v.toFixed(1)) + ' ' + units[i]
  }
  function number(v) { return v == null ? '-' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2) }
  function pct(v) { return v == null ? '-' : v.toFixed(1) + '%' }

  function shading(runs) {
    return {
      hooks: {
        drawClear: [function (u) {
          var ctx = u.ctx, box = u.bbox
          ctx.save()
          ctx.fillStyle = SHADE
          for (var i = 0; i < runs.length; i++) {
            var left = Math.max(u.valToPos(runs[i][0], 'x', true), box.left)
            var right = Math.min(u.valToPos(runs[i][1], 'x', true), box.left + box.width)
            // A 50 ms run in an hour of data is under a pixel wide: keep it visible.
            if (right >= left) ctx.fillRect(left, box.top, Math.max(right - left, 2 * devicePixelRatio), box.height)
          }
          ctx.restore()
        }],
      },
    }
  }

  function zoomSync(group) {
    return {
      hooks: {
        setScale: [function (u, key) {
          if (key !== 'x' || group.busy) return
          group.busy = true
          for (var i = 0; i < group.charts.length; i++) {
            var other = group.charts[i]
            if (other !== u) other.setScale('x', { min: u.scales.x.min, max: u.scales.x.max })
          }
          group.busy = false
        }],
      },
    }
  }

  function chart(target, index, spec, span, holder) {
    var groupKey = aligned ? 'all' : 'target-' + index
    var group = groups[groupKey] || (groups[groupKey] = { charts: [], busy: false })
    var series = [{ label: 'time (s)', value: function (u, v) { return v == null ? '-' : v.toFixed(3) + ' s' } }]
    for (var i = 0; i < spec.lines.length; i++) {
      series.push({ label: spec.lines[i].label, stroke: spec.lines[i].color, width: 1, dash: spec.lines[i].dash, value: function (u, v) { return spec.format(v) } })
    }
    var width = Math.max(holder.clientWidth, 320)
    var u = new uPlot({
      title: spec.title,
      width: width,
      height: 190,
      scales: { x: { time: false }, y: spec.range ? { range: spec.range } : {} },
      axes: [{}, { size: 82, values: function (u, vals) { return vals.map(spec.format) } }],
      series: series,
      cursor: { sync: { key: groupKey } },
      plugins: [shading(spec.runs), zoomSync(group)],
    }, [target.x].concat(spec.lines.map(function (l) { return l.values })), holder)
    if (span) u.setScale('x', { min: span[0], max: span[1] })
    group.charts.push(u)
    charts.push({ target: index, kind: spec.kind, chart: u, runs: spec.runs, holder: holder, canvas: holder.querySelector('canvas') })
  }

  function runsOf(target, resource) {
    return target.runs.filter(function (r) { return r[2] === resource }).map(function (r) { return [r[0], r[1]] })
  }

  var span = null
  if (aligned) {
    var hi = 0
    data.forEach(function (t) { if (t.x.length) hi = Math.max(hi, t.x[t.x.length - 1]) })
    span = [0, hi]
  }

  data.forEach(function (target, index) {
    var s = target.series
    var specs = []
    var cpuPercent = target.cpuLimit !== null
    specs.push({
      kind: 'cpu',
      title: cpuPercent ? 'CPU, % of ' + target.cpuLimit + ' cores (' + target.cpuLimitFrom + ')' : 'CPU, cores',
      lines: [{ label: cpuPercent ? 'CPU %' : 'cores', color: '#2563eb', values: cpuPercent ? s.cpuPercent : s.cpuCores }],
      format: cpuPercent ? pct : number,
      runs: runsOf(target, 'cpu'),
    })
    var memoryLines = [{ label: 'memory', color: '#7c3aed', values: s.memoryBytes }]
    if (target.memoryLimit !== null) memoryLines.push({ label: 'limit', color: '#9ca3af', dash: [6, 4], values: s.memoryBytes.map(function () { return target.memoryLimit }) })
    specs.push({ kind: 'memory', title: 'Memory', lines: memoryLines, format: bytes, runs: runsOf(target, 'memory') })
    specs.push({
      kind: 'io',
      title: 'I/O, bytes/s' + (target.hasIoWait ? ' (shaded: I/O wait)' : ''),
      lines: [{ label: 'read', color: '#059669', values: s.ioReadBytesPerSec }, { label: 'write', color: '#d97706', values: s.ioWriteBytesPerSec }],
      format: bytes,
      runs: runsOf(target, 'io-wait'),
    })
    specs.push({
      kind: 'throttling',
      title: 'Throttling, % of CFS periods',
      lines: [{ label: 'throttled', color: '#dc2626', values: s.throttledPercent }],
      format: pct,
      range: [0, 100],
      runs: runsOf(target, 'throttling'),
    })
    // Lay out every holder before sizing any chart, so each takes its grid cell's width.
    var holders = specs.map(function (spec) {
      var holder = document.createElement('div')
      holder.className = 'chart'
      holder.dataset.kind = spec.kind
      document.getElementById('charts-' + index).appendChild(holder)
      return holder
    })
    specs.forEach(function (spec, i) { chart(target, index, spec, span, holders[i]) })
  })

  window.addEventListener('resize', function () {
    charts.forEach(function (c) { c.chart.setSize({ width: Math.max(c.holder.clientWidth, 320), height: 190 }) })
  })
  window.radvisorReady = true
})()
`
