#ifndef cradlReport_h
#define cradlReport_h

// The report's pictures: PR and ROC curves, and overlays of scan, anomaly
// heat map and ground-truth contour, as PNG.

#include "itkImage.h"

#include <string>
#include <vector>

namespace cradl_cli
{

/** A line plot of y over x in [0, 1]^2 with axes and a 0.1 grid. */
void
writeCurvePlot(const std::string & path, const std::vector<double> & x, const std::vector<double> & y);

/** Slice `slice` of the scan in grey, the anomaly map above `mapMaximum`'s
 *  scale as a "hot" heat map, and the label's contour in green. */
void
writeOverlay(const std::string &                  path,
             const itk::Image<float, 3> *         scan,
             const itk::Image<float, 3> *         map,
             const itk::Image<unsigned char, 3> * label,
             unsigned int                         slice,
             double                               mapMaximum);

/** Overlays of the scan's most and least anomalous axial slices by slice
 *  score, among those that show brain (all slices without a mask), as
 *  `folder`/<stem>_most_anomalous.png and _least_anomalous.png. */
void
writeScanOverlays(const std::string &                  folder,
                  const std::string &                  stem,
                  const itk::Image<float, 3> *         scan,
                  const itk::Image<float, 3> *         map,
                  const itk::Image<unsigned char, 3> * mask,
                  const itk::Image<unsigned char, 3> * label,
                  const std::vector<double> &          sliceScores);

} // namespace cradl_cli

#endif
