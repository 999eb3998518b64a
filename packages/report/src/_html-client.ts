/**
 * The page's script (plain browser JS, inlined after uPlot): draws four zoomable charts per
 * target from `RADVISOR_TARGETS` and shades the millibottlenecks of each chart's resource.
 * Drag to zoom, double-click to reset; zooming one chart zooms its group (the target, or
 * every target when aligned). Each chart draws the coarsest of the target's levels that
 * still has a bucket per pixel of the visible range (the finest when none has), with the
 * full-resolution windows spliced in. `window.radvisorCharts` lists the charts for tests,
 * each with the `level` it draws.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  var SHADE = 'rgba(220, 38, 38, 0.22)'
  var MARK = 'rgb(220, 38, 38)'
  var MARK_HEIGHT = 4
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
    var entry = { target: index, kind: spec.kind, runs: spec.runs, holder: holder, data: target, spec: spec, level: 0, levels: target.levels.length, pending: false }
    var u = new uPlot({
      title: spec.title,
      width: width,
      height: 190,
      scales: { x: { time: false }, y: spec.range ? { range: spec.range } : {} },
      axes: [{}, { size: 82, values: function (u, vals) { return vals.map(spec.format) } }],
      series: series,
      cursor: { sync: { key: groupKey } },
      plugins: [shading(spec.runs), zoomSync(group), refine(entry)],
    }, spec.data(0), holder)
    entry.chart = u
    entry.canvas = holder.querySelector('canvas')
    if (span) u.setScale('x', { min: span[0], max: span[1] })
    group.charts.push(u)
    charts.push(entry)
  }

  function runsOf(target, resource) {
    return target.runs.filter(function (r) { return r[2] === resource }).map(function (r) { return [r[0], r[1]] })
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
  function dataOf(target, names, limit) {
    return function (level) {
      var points = mergedPoints(target, level)
      var columns = [points.x].concat(names.map(function (name) { return points.series[name] }))
      if (limit !== null) columns.push(points.x.map(function () { return limit }))
      return columns
    }
  }

  data.forEach(function (target, index) {
    if (target.levels.length === 0) return
    var specs = []
    var cpuPercent = target.cpuLimit !== null
    specs.push({
      kind: 'cpu',
      title: cpuPercent ? 'CPU, % of ' + target.cpuLimit + ' cores (' + target.cpuLimitFrom + ')' : 'CPU, cores',
      lines: [{ label: cpuPercent ? 'CPU %' : 'cores', color: '#2563eb' }],
      data: dataOf(target, [cpuPercent ? 'cpuPercent' : 'cpuCores'], null),
      format: cpuPercent ? pct : number,
      runs: runsOf(target, 'cpu'),
    })
    var memoryLines = [{ label: 'memory', color: '#7c3aed' }]
    if (target.memoryLimit !== null) memoryLines.push({ label: 'limit', color: '#9ca3af', dash: [6, 4] })
    specs.push({ kind: 'memory', title: 'Memory', lines: memoryLines, data: dataOf(target, ['memoryBytes'], target.memoryLimit), format: bytes, runs: runsOf(target, 'memory') })
    specs.push({
      kind: 'io',
      title: 'I/O, bytes/s' + (target.hasIoWait ? ' (shaded: I/O wait)' : ''),
      lines: [{ label: 'read', color: '#059669' }, { label: 'write', color: '#d97706' }],
      data: dataOf(target, ['ioReadBytesPerSec', 'ioWriteBytesPerSec'], null),
      format: bytes,
      runs: runsOf(target, 'io-wait'),
    })
    specs.push({
      kind: 'throttling',
      title: 'Throttling, % of CFS periods',
      lines: [{ label: 'throttled', color: '#dc2626' }],
      data: dataOf(target, ['throttledPercent'], null),
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
