using System.Buffers;

namespace Spokes.Tests.Support;

/// <summary>Builds multi-segment sequences, as a pipe hands out after several small writes.</summary>
internal static class Segments
{
    public static ReadOnlySequence<byte> Of(ReadOnlyMemory<byte> data, int segmentSize)
    {
        if (data.Length == 0) return ReadOnlySequence<byte>.Empty;
        var first = new Segment(data[..Math.Min(segmentSize, data.Length)], 0);
        var last = first;
        for (var offset = segmentSize; offset < data.Length; offset += segmentSize)
        {
            last = last.Append(data.Slice(offset, Math.Min(segmentSize, data.Length - offset)));
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
