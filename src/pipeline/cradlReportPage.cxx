// OUT/report/index.html: one self-contained page (pictures as data URIs,
// Debian's D3 and C3 inlined), built from the files a run leaves in OUT.
#include "cradlReport.h"

#include "itkCradlImageIO.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace cradl_pipeline
{

namespace
{
namespace fs = std::filesystem;

// Where Debian's libjs-d3 and libjs-c3 put their files.
constexpr const char * D3Script = "/usr/share/javascript/d3/d3.min.js";
constexpr const char * C3Script = "/usr/share/javascript/c3/c3.min.js";
constexpr const char * C3Style = "/usr/share/javascript/c3/c3.min.css";

std::string
fileText(const fs::path & path, const std::string & what)
{
  std::ifstream file(path, std::ios::binary);
  if (!file)
    throw std::runtime_error("the report needs " + what + ", '" + path.string() + "', which is missing");
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

nlohmann::json
jsonFile(const fs::path & path, const std::string & what)
{
  return nlohmann::json::parse(fileText(path, what));
}

std::string
base64(const std::string & bytes)
{
  static const char * alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string         out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3)
  {
    const unsigned int a = static_cast<unsigned char>(bytes[i]);
    const unsigned int b = i + 1 < bytes.size() ? static_cast<unsigned char>(bytes[i + 1]) : 0;
    const unsigned int c = i + 2 < bytes.size() ? static_cast<unsigned char>(bytes[i + 2]) : 0;
    const unsigned int triple = (a << 16) | (b << 8) | c;
    out += alphabet[(triple >> 18) & 63];
    out += alphabet[(triple >> 12) & 63];
    out += i + 1 < bytes.size() ? alphabet[(triple >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? alphabet[triple & 63] : '=';
  }
  return out;
}

std::string
escaped(const std::string & text)
{
  std::string out;
  for (const char c : text)
  {
    switch (c)
    {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string
fixed(double value, int digits = 4)
{
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", digits, value);
  return text;
}

std::string
general(double value)
{
  char text[64];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

// A table cell showing metrics.json's value at `key` (an object path, "a.b"),
// which it also carries in full, so that a reader (or a test) can check it.
std::string
metricCell(const nlohmann::json & metrics, const std::string & key)
{
  const nlohmann::json * node = &metrics;
  std::size_t            from = 0;
  while (from <= key.size())
  {
    const std::size_t dot = key.find('.', from);
    const std::string part = key.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
    if (!node->is_object() || !node->contains(part))
      return "<td>-</td>";
    node = &(*node)[part];
    if (dot == std::string::npos)
      break;
    from = dot + 1;
  }
  if (!node->is_number())
    return "<td>-</td>";
  std::ostringstream cell;
  cell.precision(17);
  cell << "<td class=\"number\" data-metric=\"" << escaped(key) << "\" data-value=\"" << node->get<double>() << "\">"
       << fixed(node->get<double>()) << "</td>";
  return cell.str();
}

const char *
unitsOf(const std::string & mode)
{
  if (mode == "gradient")
    return "|d(-log p)/dx| per pixel, after the median and Gaussian filters";
  if (mode == "patch")
    return "patch distance in healthy standard deviations above the healthy mean, filtered";
  if (mode == "fused")
    return "mean of the maps, each in brain interquartile ranges above its brain median, filtered";
  return "anomaly score";
}

std::string
metricsSection(const nlohmann::json & metrics)
{
  std::ostringstream html;
  html.precision(17); // the values carried in data-value, in full
  const std::string chosen = metrics.value("score_mode", std::string("gradient"));
  html << "<section id=\"metrics\"><h2>Metrics</h2>\n"
       << "<p>Pixel metrics of every map beside the |z-scored intensity| baseline: pooled over every pixel of every "
          "test scan (the paper's protocol) and inside the brain only (where the background's easy pixels do not "
          "help). The map the run chose: <b>"
       << escaped(chosen) << "</b>.</p>\n"
       << "<table id=\"pixel-metrics\"><thead><tr><th rowspan=\"2\">map</th><th colspan=\"4\">all pixels</th>"
          "<th colspan=\"4\">inside the brain</th></tr><tr><th>AUROC</th><th>AUPRC</th><th>FPR at 95% TPR</th>"
          "<th>best Dice</th><th>AUROC</th><th>AUPRC</th><th>FPR at 95% TPR</th><th>best Dice</th></tr></thead><tbody>\n";
  const auto row = [&](const std::string & name, const std::string & pooled, const std::string & brain, bool strong) {
    html << "<tr" << (strong ? " class=\"chosen\"" : "") << "><td>" << escaped(name) << "</td>";
    for (const char * field : { "auroc", "auprc", "fpr_at_95_tpr", "best_dice" })
      html << metricCell(metrics, pooled + "." + field);
    for (const char * field : { "auroc", "auprc", "fpr_at_95_tpr", "best_dice" })
      html << metricCell(metrics, brain + "." + field);
    html << "</tr>\n";
  };
  row(chosen + " (chosen)", "cradl", "cradl_brain_only", true);
  if (metrics.contains("modes"))
    for (const auto & [mode, m] : metrics["modes"].items())
      if (mode != chosen) // its figures are the chosen row's
        row(mode, "modes." + mode + ".pixels", "modes." + mode + ".brain_only", false);
  row("|z| baseline", "baseline_abs_zscore", "baseline_brain_only", false);
  html << "</tbody></table>\n";

  html << "<h3>Slices</h3><p>Each axial slice's score -log p(f(x)) against whether the slice holds an anomalous "
          "pixel.</p><table id=\"slice-metrics\"><thead><tr><th>AUROC</th><th>AUPRC</th><th>FPR at 95% TPR</th>"
          "<th>anomalous slices</th><th>healthy slices</th></tr></thead><tbody><tr>"
       << metricCell(metrics, "cradl_slice.auroc") << metricCell(metrics, "cradl_slice.auprc")
       << metricCell(metrics, "cradl_slice.fpr_at_95_tpr") << "<td class=\"number\">"
       << metrics["cradl_slice"].value("positives", 0) << "</td><td class=\"number\">"
       << metrics["cradl_slice"].value("negatives", 0) << "</td></tr></tbody></table>\n";

  if (metrics.contains("label_free_threshold"))
  {
    const auto & threshold = metrics["label_free_threshold"];
    html << "<h3>Label-free threshold</h3><p>The " << general(threshold["quantile"].get<double>())
         << " quantile of the post-processed scores of healthy validation brain pixels, "
         << "<span data-metric=\"label_free_threshold.value\" data-value=\"" << threshold["value"].get<double>() << "\">"
         << general(threshold["value"].get<double>()) << "</span>, segments the test scans with a pooled Dice of "
         << "<b><span data-metric=\"label_free_threshold.dice\" data-value=\"" << threshold["dice"].get<double>() << "\">"
         << fixed(threshold["dice"].get<double>()) << "</span></b> (outlined in cyan below).</p>\n";
  }
  if (metrics.contains("per_kind"))
  {
    html << "<h3>Per anomaly kind, inside the brain</h3><p>Each kind's voxels against every healthy brain voxel "
            "(other kinds left out).</p><table id=\"kind-metrics\"><thead><tr><th>kind</th><th>AUROC</th>"
            "<th>AUPRC</th><th>baseline AUROC</th><th>baseline AUPRC</th><th>AUPRC / baseline</th><th>voxels</th>"
            "</tr></thead><tbody>\n";
    for (const auto & [name, kind] : metrics["per_kind"].items())
    {
      const double ours = kind["cradl_brain_only"]["auprc"].get<double>();
      const double base = kind["baseline_brain_only"]["auprc"].get<double>();
      html << "<tr><td>" << escaped(name) << (kind.value("in_validation", true) ? "" : " (never in validation)")
           << "</td>" << metricCell(metrics, "per_kind." + name + ".cradl_brain_only.auroc")
           << metricCell(metrics, "per_kind." + name + ".cradl_brain_only.auprc")
           << metricCell(metrics, "per_kind." + name + ".baseline_brain_only.auroc")
           << metricCell(metrics, "per_kind." + name + ".baseline_brain_only.auprc") << "<td class=\"number\">"
           << fixed(ours / std::max(1e-12, base), 2) << "x</td><td class=\"number\">"
           << kind["cradl_brain_only"].value("positives", 0) << "</td></tr>\n";
    }
    html << "</tbody></table>\n";
  }
  html << "</section>\n";
  return html.str();
}

std::string
scansSection(const nlohmann::json & report, const fs::path & folder, const std::string & mode)
{
  std::ostringstream html;
  html << "<section id=\"scans\"><h2>Test scans</h2><p>Scan in grey, the " << escaped(mode)
       << " map over it as a heat map (its weakest quarter transparent), the ground truth outlined in "
          "<span class=\"truth\">green</span> and the label-free segmentation in <span class=\"segmentation\">cyan"
          "</span>; every picture at the scan's physical aspect ratio.</p>\n";
  const std::string bar = base64(fileText(folder / "colorbar.png", "the colour bar"));
  for (const auto & scan : report["scans"])
  {
    html << "<article class=\"scan\" id=\"scan-" << escaped(scan["stem"].get<std::string>()) << "\"><h3>"
         << escaped(scan["stem"].get<std::string>()) << "</h3><p class=\"scan-facts\">" << scan["size"][0] << " x "
         << scan["size"][1] << " x " << scan["size"][2] << " voxels of " << general(scan["spacing"][0].get<double>())
         << " x " << general(scan["spacing"][1].get<double>()) << " x " << general(scan["spacing"][2].get<double>())
         << " mm";
    if (scan.contains("kinds") && !scan["kinds"].empty())
    {
      html << "; anomalies:";
      for (const auto & [kind, voxels] : scan["kinds"].items())
        html << " " << escaped(kind) << " (" << voxels.get<int64_t>() << " voxels)";
    }
    html << "</p>\n<div class=\"colorbar\"><span>0</span><img alt=\"colour bar\" src=\"data:image/png;base64," << bar
         << "\"><span>" << general(scan["map_maximum"].get<double>()) << "</span><span class=\"units\">"
         << escaped(unitsOf(mode)) << "</span></div>\n<div class=\"views\">\n";
    for (const auto & view : scan["views"])
    {
      html << "<figure><img alt=\"" << escaped(view["title"].get<std::string>()) << "\" width=\"" << view["width"]
           << "\" height=\"" << view["height"] << "\" src=\"data:image/png;base64,"
           << base64(fileText(folder / view["file"].get<std::string>(), "the picture")) << "\"><figcaption>"
           << escaped(view["title"].get<std::string>()) << "</figcaption></figure>\n";
    }
    html << "</div></article>\n";
  }
  html << "</section>\n";
  return html.str();
}

std::string
runSection(const fs::path & out, const nlohmann::json & report)
{
  std::ostringstream html;
  html << "<section id=\"run\"><h2>The run</h2><table id=\"stages\"><thead><tr><th>stage</th><th>seconds</th>"
          "<th>finished</th><th>device</th><th>processes</th><th>CPU</th><th>GPUs</th></tr></thead><tbody>\n";
  nlohmann::json software;
  for (const char * stage : { "train", "fit", "select", "score" })
  {
    const fs::path path = out / ".cradl" / (std::string(stage) + ".json");
    if (!fs::exists(path))
      continue;
    const auto record = jsonFile(path, std::string("the ") + stage + " record");
    if (!record.contains("run"))
      continue;
    const auto & run = record["run"];
    const auto & machine = run["machine"];
    const nlohmann::json gpuList = machine.value("gpus", nlohmann::json::array());
    const nlohmann::json unitList = machine.value("vector_units", nlohmann::json::array());
    std::string          gpus, units;
    for (const auto & gpu : gpuList)
      gpus += (gpus.empty() ? "" : "; ") + gpu.get<std::string>();
    for (const auto & unit : unitList)
      units += " " + unit.get<std::string>();
    html << "<tr><td>" << stage << "</td><td class=\"number\">" << fixed(run["seconds"].get<double>(), 1)
         << "</td><td>" << escaped(run.value("finished_at", "")) << "</td><td>" << escaped(run.value("device", ""))
         << "</td><td class=\"number\">" << machine.value("processes", 1) << "</td><td>"
         << escaped(machine.value("cpu", "")) << ", " << machine.value("cores", 0) << " cores;" << escaped(units)
         << "</td><td>" << escaped(gpus.empty() ? "none" : gpus) << "</td></tr>\n";
    software = machine.value("software", nlohmann::json::object());
  }
  if (report.contains("evaluate"))
  {
    const auto & evaluate = report["evaluate"];
    html << "<tr><td>evaluate</td><td class=\"number\">" << fixed(evaluate["seconds"].get<double>(), 1)
         << "</td><td>" << escaped(evaluate.value("finished_at", "")) << "</td><td>cpu</td><td class=\"number\">1</td><td>"
         << escaped(evaluate["machine"].value("cpu", "")) << "</td><td>-</td></tr>\n";
    software = evaluate["machine"].value("software", software);
  }
  html << "</tbody></table>\n<p id=\"software\">Software:";
  for (const auto & [name, version] : software.items())
    html << " " << escaped(name) << " " << escaped(version.get<std::string>()) << ";";
  html << " plots by D3 and C3 (Debian's libjs-d3, libjs-c3).</p></section>\n";
  return html.str();
}

std::string
dataSection(const nlohmann::json & report)
{
  std::ostringstream html;
  const auto &       data = report["dataset"];
  html << "<section id=\"data\"><h2>Data</h2><table id=\"dataset\"><thead><tr><th>set</th><th>manifest</th>"
          "<th>scans</th></tr></thead><tbody>\n";
  for (const auto & [role, entry] : data["sets"].items())
    html << "<tr><td>" << escaped(role) << "</td><td>" << escaped(entry.value("manifest", "")) << "</td><td class=\"number\">"
         << entry.value("scans", 0) << "</td></tr>\n";
  html << "</tbody></table>\n<p>Test scans' grid: ";
  // Named copies: a loop over a temporary's items() would outlive it.
  const nlohmann::json grids = data.value("grids", nlohmann::json::array());
  const nlohmann::json kinds = data.value("kinds", nlohmann::json::object());
  for (const auto & grid : grids)
    html << escaped(grid.get<std::string>()) << "; ";
  html << "slices preprocessed to " << data.value("slice_size", 0) << " x " << data.value("slice_size", 0)
       << ". Anomaly kinds in the test scans:";
  for (const auto & [kind, voxels] : kinds.items())
    html << " " << escaped(kind) << " (" << voxels.get<int64_t>() << " voxels)";
  html << ".</p></section>\n";
  return html.str();
}

std::string
configSection(const nlohmann::json & config)
{
  std::ostringstream html;
  html << "<section id=\"config\"><h2>Configuration</h2><table id=\"configuration\"><tbody>\n";
  for (const auto & [key, value] : config.items())
    html << "<tr><td>" << escaped(key) << "</td><td><code>" << escaped(value.dump()) << "</code></td></tr>\n";
  html << "</tbody></table></section>\n";
  return html.str();
}

// The plots, drawn in the browser by C3 from the page's data.
constexpr const char * PlotScript = R"JS(
(function () {
  var R = REPORT, charts = [];
  function percent(v) { return (100 * v).toFixed(0) + '%'; }
  function curveChart(id, title, sets, xKey, yKey, xLabel, yLabel, area, point) {
    var columns = [], xs = {}, names = {}, types = {};
    sets.forEach(function (s) {
      var xs_ = s.curve[xKey].slice(), ys_ = s.curve[yKey].slice();
      if (xKey === 'fpr') { xs_.unshift(0); ys_.unshift(0); xs_.push(1); ys_.push(1); }
      columns.push([s.key + '_x'].concat(xs_));
      columns.push([s.key].concat(ys_));
      xs[s.key] = s.key + '_x';
      names[s.key] = s.label + ' (' + area + ' ' + s.curve[area].toFixed(4) + ')';
      types[s.key] = 'line';
    });
    if (point) {
      columns.push(['threshold_x', point[xKey]]);
      columns.push(['threshold', point[yKey]]);
      xs.threshold = 'threshold_x';
      names.threshold = 'label-free threshold ' + point.threshold.toPrecision(4);
      types.threshold = 'scatter';
    }
    charts.push(c3.generate({
      bindto: '#' + id, size: { height: 360 }, padding: { right: 24 }, transition: { duration: 0 },
      data: { xs: xs, columns: columns, names: names, types: types },
      // Curves without dots; the threshold's operating point as one large dot.
      point: { show: true, r: function (d) { return d.id === 'threshold' ? 6 : 0; }, focus: { expand: { enabled: false } } },
      axis: {
        x: { min: 0, max: 1, padding: { left: 0, right: 0 }, label: { text: xLabel, position: 'outer-center' },
             tick: { values: [0, 0.2, 0.4, 0.6, 0.8, 1], format: function (v) { return v.toFixed(1); } } },
        y: { min: 0, max: 1, padding: { top: 0, bottom: 0 }, label: { text: yLabel, position: 'outer-middle' },
             tick: { values: [0, 0.2, 0.4, 0.6, 0.8, 1], format: function (v) { return v.toFixed(1); } } } },
      grid: { x: { show: true }, y: { show: true } },
      legend: { position: 'bottom' },
      tooltip: { format: { title: function (x) { return xLabel + ' ' + x.toFixed(3); } } }
    }));
    document.getElementById(id).setAttribute('data-title', title);
  }
  function setsOf(group) {
    var c = R.curves[group], sets = [{ key: 'chosen', label: R.mode + ' (chosen)', curve: c.chosen }];
    Object.keys(c.modes || {}).forEach(function (m) {
      if (m !== R.mode) sets.push({ key: 'mode_' + m, label: m, curve: c.modes[m] }); // the chosen one is drawn already
    });
    sets.push({ key: 'baseline', label: '|z| baseline', curve: c.baseline });
    return sets;
  }
  var point = R.threshold || {};
  curveChart('pr-brain', 'PR inside the brain', setsOf('brain'), 'recall', 'precision', 'recall (true-positive rate)', 'precision', 'auprc', point.brain);
  curveChart('roc-brain', 'ROC inside the brain', setsOf('brain'), 'fpr', 'recall', 'false-positive rate', 'true-positive rate', 'auroc', point.brain);
  curveChart('pr-pixels', 'PR of all pixels', setsOf('pixels'), 'recall', 'precision', 'recall (true-positive rate)', 'precision', 'auprc', point.pixels);
  curveChart('roc-pixels', 'ROC of all pixels', setsOf('pixels'), 'fpr', 'recall', 'false-positive rate', 'true-positive rate', 'auroc', point.pixels);

  // Slice scores: healthy against anomalous slices, in 30 bins.
  var scores = R.slices.map(function (s) { return s[0]; });
  var low = Math.min.apply(null, scores), high = Math.max.apply(null, scores), bins = 30;
  var width = (high - low) / bins || 1, healthy = [], anomalous = [], centres = [];
  for (var b = 0; b < bins; ++b) { healthy.push(0); anomalous.push(0); centres.push((low + (b + 0.5) * width).toPrecision(4)); }
  R.slices.forEach(function (s) {
    var b = Math.min(bins - 1, Math.floor((s[0] - low) / width));
    (s[1] ? anomalous : healthy)[b] += 1;
  });
  charts.push(c3.generate({
    bindto: '#slice-histogram', size: { height: 320 }, transition: { duration: 0 },
    data: { x: 'score', columns: [['score'].concat(centres), ['healthy slices'].concat(healthy), ['anomalous slices'].concat(anomalous)], type: 'bar' },
    bar: { width: { ratio: 0.9 } },
    axis: { x: { type: 'category', label: { text: 'slice score -log p(f(x)), bin centres', position: 'outer-center' },
                 tick: { multiline: false, culling: { max: 8 } } },
            y: { label: { text: 'slices', position: 'outer-middle' } } },
    legend: { position: 'bottom' }
  }));

  // What the page shows, for a reader's check (and the tests'): pictures
  // decoded, plots drawn.
  function check() {
    var images = document.querySelectorAll('img'), loaded = 0;
    images.forEach(function (image) { if (image.complete && image.naturalWidth > 0) loaded += 1; });
    var drawn = 0;
    document.querySelectorAll('.plot').forEach(function (plot) {
      if (plot.querySelector('svg path.c3-line, svg path.c3-bar, svg circle.c3-circle')) drawn += 1;
    });
    document.body.setAttribute('data-images', String(images.length));
    document.body.setAttribute('data-images-loaded', String(loaded));
    document.body.setAttribute('data-plots', String(document.querySelectorAll('.plot').length));
    document.body.setAttribute('data-plots-drawn', String(drawn));
    document.body.setAttribute('data-ready', 'yes');
  }
  if (document.readyState === 'complete') check(); else window.addEventListener('load', check);
})();
)JS";

constexpr const char * PageStyle = R"CSS(
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 1.6em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
th { background: #f2f2f2; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.chosen td { font-weight: bold; background: #fff8e6; }
.plots { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.plot h3 { margin: 0.3em 0; font-size: 1em; }
.views { display: flex; flex-wrap: wrap; gap: 0.8em; align-items: flex-start; }
figure { margin: 0; } figcaption { font-size: 0.85em; max-width: 360px; }
figure img { image-rendering: pixelated; background: #000; }
.colorbar { display: flex; align-items: center; gap: 0.4em; margin: 0.3em 0 0.6em; font-size: 0.9em; }
.colorbar img { width: 256px; height: 14px; border: 1px solid #999; }
.colorbar .units { color: #555; margin-left: 0.8em; }
.truth { color: #1a9e1a; font-weight: bold; } .segmentation { color: #0aa0c0; font-weight: bold; }
code { font-size: 0.9em; }
)CSS";
} // namespace

std::string
writeReportPage(const std::string & outFolder)
{
  const fs::path out(outFolder);
  const fs::path folder = out / "report";
  const auto     metrics = jsonFile(out / "metrics.json", "the metrics (run cradl evaluate)");
  auto           report = jsonFile(folder / "report.json", "the report's data (run cradl evaluate)");
  const auto     config = fs::exists(out / "config.json") ? jsonFile(out / "config.json", "the configuration")
                                                          : metrics.value("config", nlohmann::json::object());
  const std::string mode = metrics.value("score_mode", std::string("gradient"));
  report["mode"] = mode;

  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Cradl report: "
       << escaped(out.filename().string()) << "</title>\n<style>" << fileText(C3Style, "C3's style sheet (libjs-c3)")
       << PageStyle << "</style></head>\n<body>\n<h1>Cradl report</h1>\n<p>Run folder <code>" << escaped(out.string())
       << "</code>; " << report["scans"].size() << " test scans; the " << escaped(mode)
       << " map, chosen by the select stage. Every figure below is read from the run's files (metrics.json, "
          "report/report.json, the stage records).</p>\n<nav><a href=\"#metrics\">metrics</a><a href=\"#curves\">"
          "curves</a><a href=\"#slices\">slice scores</a><a href=\"#scans\">scans</a><a href=\"#data\">data</a>"
          "<a href=\"#run\">run</a><a href=\"#config\">configuration</a></nav>\n";
  html << metricsSection(metrics);
  html << "<section id=\"curves\"><h2>Curves</h2><p>Precision-recall and ROC curves of every map and the |z| "
          "baseline on the same axes; the legend gives each curve's AUPRC or AUROC; the dot is the label-free "
          "threshold's operating point on the chosen map.</p><div class=\"plots\">\n"
          "<div class=\"plot\"><h3>Precision-recall, inside the brain</h3><div id=\"pr-brain\"></div></div>\n"
          "<div class=\"plot\"><h3>ROC, inside the brain</h3><div id=\"roc-brain\"></div></div>\n"
          "<div class=\"plot\"><h3>Precision-recall, all pixels</h3><div id=\"pr-pixels\"></div></div>\n"
          "<div class=\"plot\"><h3>ROC, all pixels</h3><div id=\"roc-pixels\"></div></div>\n</div></section>\n";
  html << "<section id=\"slices\"><h2>Slice scores</h2><p>Histogram of the slice score -log p(f(x)) of healthy "
          "slices and of slices holding an anomalous pixel.</p><div class=\"plot\"><div id=\"slice-histogram\">"
          "</div></div></section>\n";
  html << scansSection(report, folder, mode);
  html << dataSection(report);
  html << runSection(out, report);
  html << configSection(config);
  // The data the plots draw; "</" escaped so that no text closes the script.
  std::string data = report.dump();
  for (std::size_t at = data.find("</"); at != std::string::npos; at = data.find("</", at + 2))
    data.replace(at, 2, "<\\/");
  html << "<script>" << fileText(D3Script, "D3 (libjs-d3)") << "</script>\n<script>"
       << fileText(C3Script, "C3 (libjs-c3)") << "</script>\n<script>const REPORT = " << data << ";</script>\n<script>"
       << PlotScript << "</script>\n</body></html>\n";
  const std::string path = (folder / "index.html").string();
  itk::CradlWriteFileAtomically(path, html.str());
  return path;
}

} // namespace cradl_pipeline
