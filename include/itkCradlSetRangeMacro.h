/*=========================================================================
 *
 *  Copyright NumFOCUS
 *
 *  Licensed under the Apache License, Version 2.0 (the "License");
 *  you may not use this file except in compliance with the License.
 *  You may obtain a copy of the License at
 *
 *         http://www.apache.org/licenses/LICENSE-2.0.txt
 *
 *  Unless required by applicable law or agreed to in writing, software
 *  distributed under the License is distributed on an "AS IS" BASIS,
 *  WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 *  See the License for the specific language governing permissions and
 *  limitations under the License.
 *
 *=========================================================================*/
#ifndef itkCradlSetRangeMacro_h
#define itkCradlSetRangeMacro_h

#include "itkMacro.h"

namespace itk
{
/** Whether `value` lies in [minimum, maximum]; false for NaN. */
template <typename T, typename TLimit>
constexpr bool
CradlInRange(T value, TLimit minimum, TLimit maximum)
{
  return value >= static_cast<T>(minimum) && value <= static_cast<T>(maximum);
}
} // namespace itk

/** Like itkSetMacro, but a value outside [minimum, maximum] (or NaN) is
 * refused with an ExceptionObject that names the setting and its range,
 * rather than stored (to crash later) or clamped silently. The limits come
 * from cradl::limits (cradlDefaults.h), which every front end shares.
 * \ingroup Cradl
 */
#define cradlSetInRangeMacro(name, type, minimum, maximum)                                                             \
  virtual void Set##name(const type value)                                                                            \
  {                                                                                                                   \
    if (!::itk::CradlInRange(value, minimum, maximum))                                                               \
    {                                                                                                                 \
      itkExceptionMacro(<< #name " must be from " << (minimum) << " to " << (maximum) << ", got " << value);          \
    }                                                                                                                 \
    if (this->m_##name != value)                                                                                      \
    {                                                                                                                 \
      this->m_##name = value;                                                                                         \
      this->Modified();                                                                                               \
    }                                                                                                                 \
  }                                                                                                                   \
  ITK_MACROEND_NOOP_STATEMENT

#endif
