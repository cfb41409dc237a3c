#ifndef cradlReport_h
#define cradlReport_h

// OUT/report: the page a person reads. After evaluation, writeReport draws each test
// scan's pictures with ITK (scan in grey, the anomaly map as a heat map,
// the ground truth's and the segmentation's outlines, at the scan's
// physical aspect ratio) and writes what the page needs beside metrics.json
// (report.json: curves, slice scores, pictures, the data set); the page,
// index.html, is built from those files alone, so `cradl report OUT`
// rebuilds it. Its plots are C3 over D3 (Debian's libjs-c3, libjs-d3),
// inlined with every picture: the file opens offline in any browser.

#include "cradlSettings.h"

#include "itkAnomalyMapEvaluator.h"
#include "itkImage.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace cradl_pipeline
{

/** A ranking curve for the page: at most ~400 of its points (the first and
 *  last kept), with their thresholds, and its AUPRC and AUROC. */
nlohmann::json
curveJson(const itk::CradlRankingMetrics & metrics);

/** The curve's point at `threshold` (score >= threshold is anomalous):
 *  {"threshold", "recall", "precision", "fpr"}. */
nlohmann::json
operatingPoint(const itk::CradlRankingMetrics & metrics, double threshold);

/** One test scan's pictures in `folder` (PNG): its most and least anomalous
 *  axial slices by slice score among the brain's, and for volumes the three
 *  orthogonal planes through the map's strongest voxel in the brain. Every
 *  picture has the same heat scale, 0 to the scan's map maximum. Returns
 *  their description for the page. `segmentation` may be null. */
nlohmann::json
writeScanPictures(const std::string &                  folder,
                  const std::string &                  stem,
                  const itk::Image<float, 3> *         scan,
                  const itk::Image<float, 3> *         map,
                  const itk::Image<unsigned char, 3> * mask,
                  const itk::Image<unsigned char, 3> * label,
                  const itk::Image<unsigned char, 3> * segmentation,
                  const std::vector<double> &          sliceScores);

/** The heat map's colour bar, `folder`/colorbar.png. */
void
writeColorBar(const std::string & folder);

/** The report of a run (evaluate's last step): the pictures of the test
 *  scans of `manifestPath`, report/report.json and index.html, from the
 *  run's files alone (the manifest's scans, OUT/maps, OUT/segmentations,
 *  OUT/scores.csv, report/curves.json, metrics.json); returns the page's path. */
std::string
writeReport(const PipelineConfig & config, const std::string & manifestPath);

/** OUT/report/index.html from metrics.json, report/report.json (and its
 *  pictures), config.json and the stage records; returns its path. Throws
 *  std::runtime_error naming what is missing. */
std::string
writeReportPage(const std::string & out);

} // namespace cradl_pipeline

#endif
