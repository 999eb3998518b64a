/**
 * The page's script (plain browser JS, inlined after uPlot): draws six zoomable charts per
 * target from `RADVISOR_TARGETS` (CPU, memory, I/O, throttling, pressure, network), shades
 * the millibottlenecks of each chart's resources and marks OOM kills on the memory chart;
 * a chart without data is a panel saying so. Drag to zoom, double-click to reset; zooming
 * one chart zooms its group (the target, or every target when aligned). Each chart draws
 * the coarsest of the target's levels that still has a bucket per pixel of the visible
 * range (the finest when none has), with the full-resolution windows spliced in.
 * `window.radvisorCharts` lists the charts for tests, each with the `level` it draws, and
 * `window.radvisorPanels` every panel with its `kind` and, for one without data, its text.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  var SHADE = 'rgba(220, 38, 38, 0.22)'
  var MARK = 'rgb(220, 38, 38)'
  var MARK_HEIGHT = 4
  var OOM = 'rgb(234, 88, 12)'
  var data = window.RADVISOR_TARGETS
  var aligned = window.RADVISOR_ALIGNED
  var charts = (window.radvisorCharts = [])
  var panels = (window.radvisorPanels = [])
  var groups = {}

  function bytes(v) {
    if (v == null) return '-'
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0
    while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++ }
    return (i === 0 ? v.toFixed(0) : v.toFixed(1)) + ' ' + units[i]
  }
  function number(v) { return v == null ? '-' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2) }
  function pct(v) { return v == null ? '-' : v.toFixed(1) + '%' }

  // Each run shaded under the lines, and marked in a strip along the top over them, so a
  // run stays visible where a dense line covers its shading.
  function shading(runs) {
    function paint(u, style, height) {
      var ctx = u.ctx, box = u.bbox
      ctx.save()
      ctx.fillStyle = style
      for (var i = 0; i < runs.length; i++) {
        var left = Math.max(u.valToPos(runs[i][0], 'x', true), box.left)
        var right = Math.min(u.valToPos(runs[i][1], 'x', true), box.left + box.width)
        // A 50 ms run in an hour of data is under a pixel wide: keep it visible.
        if (right >= left) ctx.fillRect(left, box.top, Math.max(right - left, 2 * devicePixelRatio), height(box))
      }
      ctx.restore()
    }
    return {
      hooks: {
        drawClear: [function (u) { paint(u, SHADE, function (box) { return box.height }) }],
        draw: [function (u) { paint(u, MARK, function () { return MARK_HEIGHT * devicePixelRatio }) }],
      },
    }
  }

  // A vertical line, and a label along the top, at each OOM kill (drawn over the lines).
  function oomMarks(kills) {
    return {
      hooks: {
        draw: [function (u) {
          if (kills.length === 0) return
          var ctx = u.ctx, box = u.bbox
          ctx.save()
          ctx.fillStyle = OOM
          ctx.font = (10 * devicePixelRatio) + 'px sans-serif'
          ctx.textAlign = 'left'
          ctx.textBaseline = 'alphabetic'
          for (var i = 0; i < kills.length; i++) {
            var x = Math.round(u.valToPos(kills[i][0], 'x', true))
            if (x < box.left || x > box.left + box.width) continue
            var label = 'OOM kill' + (kills[i][1] > 1 ? ' x' + kills[i][1] : '')
            var left = x + 3 * devicePixelRatio, baseline = box.top + (MARK_HEIGHT + 12) * devicePixelRatio
            ctx.fillRect(x - devicePixelRatio, box.top, 2 * devicePixelRatio, box.height)
            ctx.fillStyle = 'rgba(255, 255, 255, 0.85)'
            ctx.fillRect(left - devicePixelRatio, baseline - 10 * devicePixelRatio, ctx.measureText(label).width + 2 * devicePixelRatio, 12 * devicePixelRatio)
            ctx.fillStyle = OOM
            ctx.fillText(label, left, baseline)
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

  // A level's points with the windows' full-resolution points replacing those they cover.
  function mergedPoints(target, levelIndex) {
    var cache = target.merged || (target.merged = [])
    if (cache[levelIndex]) return cache[levelIndex]
    var level = target.levels[levelIndex], windows = target.windows
    var names = Object.keys(level.series)
    var out = { x: [], series: {} }
    names.forEach(function (name) { out.series[name] = [] })
    function take(points, i) {
      out.x.push(points.x[i])
      for (var n = 0; n < names.length; n++) out.series[names[n]].push(points.series[names[n]][i])
    }
    var i = 0, w = 0
    while (i < level.x.length || w < windows.length) {
      var stretch = windows[w]
      if (stretch && (i >= level.x.length || level.x[i] >= stretch.x[0])) {
        for (var j = 0; j < stretch.x.length; j++) take(stretch, j)
        var end = stretch.x[stretch.x.length - 1]
        while (i < level.x.length && level.x[i] <= end) i++
        w++
      } else {
        take(level, i++)
      }
    }
    return (cache[levelIndex] = out)
  }

  function levelFor(target, u) {
    var span = u.scales.x.max - u.scales.x.min
    var pixels = u.bbox.width / devicePixelRatio
    for (var i = 0; i < target.levels.length; i++) if (span / target.levels[i].bucket >= pixels) return i
    return target.levels.length - 1
  }

  // After a zoom, draws the level that fits the new range (outside uPlot's hook, which may not re-enter).
  function refine(entry) {
    return {
      hooks: {
        setScale: [function (u, key) {
          if (key !== 'x' || entry.pending) return
          entry.pending = true
          setTimeout(function () {
            entry.pending = false
            var level = levelFor(entry.data, u)
            if (level === entry.level) return
            entry.level = level
            var range = { min: u.scales.x.min, max: u.scales.x.max }
            u.setData(entry.spec.data(level), false)
            u.setScale('x', range)
          }, 0)
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
    var entry = { target: index, kind: spec.kind, runs: spec.runs, oom: spec.oom || [], holder: holder, data: target, spec: spec, level: 0, levels: target.levels.length, pending: false }
    var u = new uPlot({
      title: spec.title,
      width: width,
      height: 190,
      scales: { x: { time: false }, y: spec.range ? { range: spec.range } : {} },
      axes: [{}, { size: 82, values: function (u, vals) { return vals.map(spec.format) } }],
      series: series,
      cursor: { sync: { key: groupKey } },
      plugins: [shading(spec.runs), oomMarks(entry.oom), zoomSync(group), refine(entry)],
    }, spec.data(0), holder)
    entry.chart = u
    entry.canvas = holder.querySelector('canvas')
    if (span) u.setScale('x', { min: span[0], max: span[1] })
    group.charts.push(u)
    charts.push(entry)
  }

  function noData(spec, text, holder) {
    holder.classList.add('no-data')
    var title = document.createElement('div')
    title.className = 'title'
    title.textContent = spec.title
    var message = document.createElement('div')
    message.className = 'message'
    message.textContent = text
    holder.appendChild(title)
    holder.appendChild(message)
  }

  function runsOf(target, resources) {
    return target.runs.filter(function (r) { return resources.indexOf(r[2]) !== -1 }).map(function (r) { return [r[0], r[1]] })
  }

  // The lines of those series the target has (a series without any value is not on the page).
  function present(target, lines) {
    var series = target.levels[0].series
    return lines.filter(function (line) { return series[line.name] !== undefined })
  }

  var span = null
  if (aligned) {
    var hi = 0
    data.forEach(function (t) {
      var coarsest = t.levels[0]
      if (coarsest && coarsest.x.length) hi = Math.max(hi, coarsest.x[coarsest.x.length - 1])
    })
    span = [0, hi]
  }

  // uPlot's data for a chart at a level: x, then one array per line (a constant one for a limit).
  function dataOf(target, lines, limit) {
    return function (level) {
      var points = mergedPoints(target, level)
      var columns = [points.x].concat(lines.map(function (line) { return points.series[line.name] }))
      if (limit !== null) columns.push(points.x.map(function () { return limit }))
      return columns
    }
  }

  // A chart's spec: its series lines (with a dashed limit line after them when given).
  function chartSpec(target, kind, title, lines, options) {
    var drawn = present(target, lines)
    var limit = options.limit == null ? null : options.limit
    var all = drawn.slice()
    if (limit !== null) all.push({ label: 'limit', color: '#9ca3af', dash: [6, 4] })
    return { kind: kind, title: title, lines: all, data: dataOf(target, drawn, limit), format: options.format, range: options.range, runs: runsOf(target, options.resources), oom: options.oom }
  }

  // Pressure can read a little above 100% (the kernel's clock and the read time differ); rates start at 0.
  function percentRange(u, min, max) { return [0, Math.max(100, max)] }
  function fromZero(u, min, max) { return [0, max > 0 ? max * 1.1 : 1] }

  data.forEach(function (target, index) {
    if (target.levels.length === 0) return
    var cpuPercent = target.cpuLimit !== null
    var specs = [
      chartSpec(target, 'cpu', cpuPercent ? 'CPU, % of ' + target.cpuLimit + ' cores (' + target.cpuLimitFrom + ')' : 'CPU, cores',
        [cpuPercent ? { name: 'cpuPercent', label: 'CPU %', color: '#2563eb' } : { name: 'cpuCores', label: 'cores', color: '#2563eb' }],
        { format: cpuPercent ? pct : number, resources: ['cpu'] }),
      chartSpec(target, 'memory', 'Memory' + (target.oom.length ? ' (orange: OOM kills)' : ''),
        [{ name: 'memoryBytes', label: 'memory', color: '#7c3aed' }, { name: 'workingSetBytes', label: 'working set', color: '#db2777' }],
        { format: bytes, resources: ['memory'], limit: target.memoryLimit, oom: target.oom }),
      chartSpec(target, 'io', 'I/O, bytes/s' + (target.hasIoWait ? ' (shaded: I/O wait)' : ''),
        [{ name: 'ioReadBytesPerSec', label: 'read', color: '#059669' }, { name: 'ioWriteBytesPerSec', label: 'write', color: '#d97706' }],
        { format: bytes, resources: ['io-wait'] }),
      chartSpec(target, 'throttling', 'Throttling, % of CFS periods',
        [{ name: 'throttledPercent', label: 'throttled', color: '#dc2626' }],
        { format: pct, range: [0, 100], resources: ['throttling'] }),
      chartSpec(target, 'pressure', 'Pressure, % of time stalled (dashed: full)',
        [
          { name: 'cpuSomePercent', label: 'CPU some', color: '#2563eb' },
          { name: 'cpuFullPercent', label: 'CPU full', color: '#2563eb', dash: [4, 3] },
          { name: 'memorySomePercent', label: 'memory some', color: '#7c3aed' },
          { name: 'memoryFullPercent', label: 'memory full', color: '#7c3aed', dash: [4, 3] },
          { name: 'ioSomePercent', label: 'I/O some', color: '#059669' },
          { name: 'ioFullPercent', label: 'I/O full', color: '#059669', dash: [4, 3] },
        ],
        { format: pct, range: percentRange, resources: ['cpu-pressure', 'memory-pressure', 'io-pressure'] }),
      chartSpec(target, 'network', 'Network, bytes/s',
        [{ name: 'networkRxBytesPerSec', label: 'received', color: '#0891b2' }, { name: 'networkTxBytesPerSec', label: 'sent', color: '#ca8a04' }],
        { format: bytes, range: fromZero, resources: [] }),
    ]
    // Lay out every holder before sizing any chart, so each takes its grid cell's width.
    var holders = specs.map(function (spec) {
      var holder = document.createElement('div')
      holder.className = 'chart'
      holder.dataset.kind = spec.kind
      document.getElementById('charts-' + index).appendChild(holder)
      return holder
    })
    specs.forEach(function (spec, i) {
      var text = target.noData[spec.kind]
      panels.push({ target: index, kind: spec.kind, noData: text || null, holder: holders[i] })
      if (text) noData(spec, text, holders[i])
      else chart(target, index, spec, span, holders[i])
    })
  })

  window.addEventListener('resize', function () {
    charts.forEach(function (c) { c.chart.setSize({ width: Math.max(c.holder.clientWidth, 320), height: 190 }) })
  })
  window.radvisorReady = true
})()
`
