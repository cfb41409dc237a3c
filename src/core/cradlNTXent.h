#ifndef cradlNTXent_h
#define cradlNTXent_h

#include "cradlCoreExport.h"

#include <ATen/ATen.h>

namespace cradl
{

/** SimCLR's NT-Xent loss of two views' projections z1, z2 ([N, d] each; row i
 *  of z1 and of z2 are views of one slice). Rows are L2-normalised; each of
 *  the 2N rows is scored against the 2N - 1 others (its own similarity is
 *  masked out, the positive stays in the denominator):
 *    l_i = -s(i, p(i)) / t + log sum_{j != i} exp(s(i, j) / t),
 *  and the loss is the mean of l_i over both directions (all 2N rows). */
CRADL_CORE_EXPORT at::Tensor
ntXentLoss(const at::Tensor & z1, const at::Tensor & z2, double temperature = 0.5);

} // namespace cradl

#endif
