using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;

namespace Spokes.Edge.Hosting;

/// <summary>
/// Kestrel's memory pools with 64 KiB blocks instead of 4 KiB. Kestrel sizes its TLS pipes by the pool's block
/// size, so with 4 KiB blocks every relayed connection read and wrote TLS in 4 KiB pieces (4 KiB records, four
/// times the syscalls and pipe hops). Idle connections hold no block either way (zero-byte reads).
/// </summary>
public sealed class LargeBlockMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new LargeBlockMemoryPool();
}

internal sealed class LargeBlockMemoryPool : MemoryPool<byte>
{
    public const int BlockSize = 64 * 1024;

    // Free blocks kept for reuse (at most 16 MiB per pool); beyond that returned blocks go to the GC.
    private const int MaxRetained = 256;
    private readonly ConcurrentQueue<byte[]> _free = new();
    private int _freeCount;

    public override int MaxBufferSize => BlockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            return new Block(this, GC.AllocateUninitializedArray<byte>(minBufferSize, pinned: true), pooled: false);
        }

        if (_free.TryDequeue(out var array))
        {
            Interlocked.Decrement(ref _freeCount);
            return new Block(this, array, pooled: true);
        }

        return new Block(this, GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true), pooled: true);
    }

    private void Return(byte[] array)
    {
        if (Interlocked.Increment(ref _freeCount) <= MaxRetained)
        {
            _free.Enqueue(array);
        }
        else
        {
            Interlocked.Decrement(ref _freeCount);
        }
    }

    protected override void Dispose(bool disposing)
    {
        _free.Clear();
    }

    private sealed class Block(LargeBlockMemoryPool pool, byte[] array, bool pooled) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array is { } a ? MemoryMarshal.CreateFromPinnedArray(a, 0, a.Length) : throw new ObjectDisposedException(nameof(Block));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } a && pooled)
            {
                pool.Return(a);
            }
        }
    }
}
