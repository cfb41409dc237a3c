# Fails when a public header uses torch, ATen or c10 (includes them or names
# their types): those belong in src/. Prose about torchrun or
# torch.distributed is no dependency.
file(GLOB headers "${HEADER_DIR}/*")
set(offenders)
foreach(header IN LISTS headers)
  file(STRINGS "${header}" hits REGEX "#[ ]*include[ ]*[<\"](torch|ATen|c10)/|torch::|at::|c10::")
  if(hits)
    list(APPEND offenders "${header}: ${hits}")
  endif()
endforeach()
if(offenders)
  string(REPLACE ";" "\n" text "${offenders}")
  message(FATAL_ERROR "public headers reference torch:\n${text}")
endif()
list(LENGTH headers count)
message(STATUS "${count} public headers, none references torch")
