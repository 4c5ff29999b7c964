using System.Runtime.InteropServices;

namespace Serving.Benchmarks;

/// <summary>
/// What a CUDA session needs from the host before one is even tried: an NVIDIA device and the CUDA 13 /
/// cuDNN 9 libraries on the library path. Only creating a session proves the GPU usable
/// (<see cref="Serving.Execution.GpuSessionFactory"/>); this finds the common reasons it cannot be, at once.
/// </summary>
internal sealed class GpuHostProbe(Func<bool> hasNvidiaDevice, Func<string, bool> canLoadLibrary)
{
    /// <summary>The libraries ONNX Runtime 1.31's CUDA provider loads (docs/gpu.md, host requirements).</summary>
    public static IReadOnlyList<string> RequiredLibraries { get; } =
        ["libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcudnn.so.9"];

    /// <summary>This machine: its device nodes and its dynamic loader.</summary>
    public static GpuHostProbe Host { get; } = new(HasNvidiaDeviceNode, CanLoad);

    /// <summary>Why a CUDA session cannot be created here; null when one may be tried.</summary>
    public string? MissingRequirement()
    {
        if (!hasNvidiaDevice())
        {
            return "no GPU: no NVIDIA device (no /dev/nvidia0, nothing under /proc/driver/nvidia/gpus)";
        }

        var missing = RequiredLibraries.Where(library => !canLoadLibrary(library)).ToList();
        return missing.Count == 0
            ? null
            : $"no CUDA libraries: cannot load {string.Join(", ", missing)} (the CUDA 13 and cuDNN 9 libraries must be on the library path; docs/gpu.md)";
    }

    private static bool HasNvidiaDeviceNode()
    {
        const string gpus = "/proc/driver/nvidia/gpus";
        return File.Exists("/dev/nvidia0") || (Directory.Exists(gpus) && Directory.EnumerateFileSystemEntries(gpus).Any());
    }

    private static bool CanLoad(string library)
    {
        if (!NativeLibrary.TryLoad(library, out var handle))
        {
            return false;
        }

        NativeLibrary.Free(handle);
        return true;
    }
}
