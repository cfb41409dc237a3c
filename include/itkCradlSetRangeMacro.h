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

#include "itkCradlSettingMacros.h"

/** Like itkSetMacro, but a value outside [minimum, maximum] (or NaN) is
 * refused with an ExceptionObject that names the setting and its range,
 * rather than stored (to crash later) or clamped silently: the same refusal
 * as the declared settings' setters (itkCradlSettingMacros.h). The limits
 * come from cradl::limits (cradlDefaults.h), which every front end shares.
 * \ingroup Cradl
 */
#define cradlSetInRangeMacro(name, type, minimum, maximum)                                                             \
  virtual void Set##name(const type value) cradlSettingStore(name, value, ::cradl::Between(minimum, maximum))          \
  ITK_MACROEND_NOOP_STATEMENT

#endif
