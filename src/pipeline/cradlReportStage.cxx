// The report: OUT/report/report.json and index.html, assembled from the
// run's files alone (the test manifest's scans, OUT/maps, OUT/segmentations,
// OUT/scores.csv, the evaluation's OUT/report/curves.json, metrics.json).
#include "cradlMachine.h"
#include "cradlPipeline.h"
#include "cradlReport.h"
#include "cradlStageFrame.h"

#include "itkCradlDatasetBuilder.h"
#include "itkCradlImageIO.h"

#include <ctime>
#include <fstream>
#include <set>

namespace cradl_pipeline
{

namespace
{
nlohmann::json
readJson(const std::string & path, const char * what)
{
  std::ifstream file(path);
  const auto    json = file ? nlohmann::json::parse(file, nullptr, false) : nlohmann::json();
  if (!json.is_object())
    throw std::runtime_error("no readable '" + path + "' (" + what + "): run cradl evaluate first");
  return json;
}

// The number of rows of a manifest, or 0 without one.
std::size_t
scansIn(const PipelineConfig & config, const std::string & path, const char * role)
{
  return path.empty() ? 0 : readManifest(config, path, role)->GetNumberOfEntries();
}

// What the page says of a scan beside its pictures: its anomaly kinds, its
// slices' scores and labels, its grid.
void
addScanToReport(nlohmann::json & report, std::set<std::string> & grids, nlohmann::json pictures,
                const itk::CradlManifest::Scan & scan, const std::vector<double> & sliceScores)
{
  const auto        size = scan.Image->GetLargestPossibleRegion().GetSize();
  const auto        inSlice = size[0] * size[1];
  std::vector<bool> anomalous(size[2], false);
  for (itk::SizeValueType i = 0; i < inSlice * size[2]; ++i)
    if (scan.Label->GetBufferPointer()[i] != 0)
      anomalous[i / inSlice] = true;
  for (std::size_t slice = 0; slice < sliceScores.size() && slice < anomalous.size(); ++slice)
    report["slices"].push_back({ sliceScores[slice], anomalous[slice] ? 1 : 0 });
  pictures["kinds"] = nlohmann::json::object();
  if (scan.Kinds)
  {
    const auto names = itk::CradlDatasetBuilder::GetAnomalyKindNames();
    for (itk::SizeValueType i = 0; i < inSlice * size[2]; ++i)
    {
      const unsigned int code = scan.Kinds->GetBufferPointer()[i];
      if (code != 0 && code <= names.size())
      {
        pictures["kinds"][names[code - 1]] = pictures["kinds"].value(names[code - 1], 0) + 1;
        report["dataset"]["kinds"][names[code - 1]] = report["dataset"]["kinds"].value(names[code - 1], 0) + 1;
      }
    }
  }
  grids.insert(std::to_string(size[0]) + " x " + std::to_string(size[1]) + " x " + std::to_string(size[2]) +
               " voxels of " + pictures["spacing"].dump() + " mm");
  report["scans"].push_back(pictures);
}

// The data set (its manifests, scans, grids, kinds), and when and where evaluate ran.
void
addDatasetAndRun(nlohmann::json & report, const PipelineConfig & config, const std::string & manifestPath,
                 std::size_t testScans, const std::set<std::string> & grids, const nlohmann::json & metrics)
{
  report["dataset"]["sets"] = {
    { "training", { { "manifest", config.train }, { "scans", scansIn(config, config.train, "training") } } },
    { "validation", { { "manifest", config.validation }, { "scans", scansIn(config, config.validation, "validation") } } },
    { "test", { { "manifest", manifestPath }, { "scans", testScans } } }
  };
  report["dataset"]["grids"] = grids;
  report["dataset"]["slice_size"] = config.sliceSize;
  const std::time_t now = std::time(nullptr);
  char              when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  report["evaluate"] = { { "seconds", metrics["stage_seconds"].value("evaluate", 0.0) },
                         { "finished_at", when },
                         { "machine", describeMachine() } };
}
} // namespace

std::string
writeReport(const PipelineConfig & config, const std::string & manifestPath)
{
  const Layout   layout{ config.out };
  const auto     evaluation = readJson(layout.curves(), "the evaluation's curves");
  const auto     metrics = readJson((layout.out / "metrics.json").string(), "the metrics");
  const auto     manifest = readManifest(config, manifestPath, "evaluation");
  const auto     sliceScores = readSliceScores(layout);
  nlohmann::json report = { { "scans", nlohmann::json::array() },
                            { "slices", nlohmann::json::array() },
                            { "dataset", { { "kinds", nlohmann::json::object() } } },
                            { "curves", evaluation["curves"] } };
  if (!evaluation["threshold"].is_null())
    report["threshold"] = evaluation["threshold"];
  std::set<std::string> grids;
  itk::CradlMakeFolder(layout.report());
  for (std::size_t row = 0; row < manifest->GetNumberOfEntries(); ++row)
  {
    const auto        scan = manifest->LoadScan(row);
    const std::string stem = stemOf(manifest->GetEntry(row).Image);
    const auto        map = itk::CradlManifest::ReadScanImage(layout.map(stem, "anomaly"), "anomaly map of " + stem);
    const auto        scores = sliceScores.find(stem);
    if (scores == sliceScores.end())
      throw std::runtime_error("'" + layout.scores() + "' has no slice scores of " + stem + ": run cradl score again");
    itk::CradlManifest::MaskImageType::Pointer segmentation;
    if (hasValidation(config) && fs::exists(layout.segmentation(stem)))
      segmentation = itk::CradlManifest::ReadMaskImage(layout.segmentation(stem), "segmentation of " + stem);
    auto pictures = writeScanPictures(layout.report(), stem, scan.Image, map, scan.Mask, scan.Label,
                                      segmentation.GetPointer(), scores->second);
    addScanToReport(report, grids, std::move(pictures), scan, scores->second);
  }
  addDatasetAndRun(report, config, manifestPath, manifest->GetNumberOfEntries(), grids, metrics);
  writeColorBar(layout.report());
  itk::CradlWriteFileAtomically(layout.report() + "/report.json", report.dump() + "\n");
  return writeReportPage(config.out);
}

} // namespace cradl_pipeline
