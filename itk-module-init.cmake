# Third-party packages of the Cradl module, found before ITK configures it.
# Debian's libtorch-dev is found by default; pass -DTorch_DIR=<prefix>/share/cmake/Torch
# for a pytorch.org LibTorch or the one inside a PyTorch install (CUDA builds too).
find_package(Torch REQUIRED)
