"""Snapshot and restore a running vLLM server: the CUDA driver's checkpoint API moves each GPU
process's device memory to host memory, CRIU writes the whole process tree to an image folder,
and a restore reverses both. Standard library only; CRIU and the driver are the host's."""
