using System.Buffers;
using Spokes.Tunnel.Frames;
using Spokes.Tunnel.Mux;

namespace Spokes.Tests.Tunnel;

public class FrameReaderTests
{
    [Fact]
    public void WriteThenTryParse_AllFrameTypes_RoundTrip()
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.WriteData(3, FrameFlags.Syn | FrameFlags.Fin, "abc"u8, output);
        FrameWriter.Write(new FrameHeader(FrameType.WindowUpdate, FrameFlags.Ack, 3, 1000), output);
        FrameWriter.Write(new FrameHeader(FrameType.Ping, FrameFlags.Syn, 0, 42), output);
        FrameWriter.Write(new FrameHeader(FrameType.GoAway, FrameFlags.None, 0, (uint)GoAwayCode.ProtocolError), output);
        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);

        var frames = ParseAll(ref buffer);

        Assert.True(buffer.IsEmpty);
        Assert.Equal(4, frames.Count);
        Assert.Equal(new FrameHeader(FrameType.Data, FrameFlags.Syn | FrameFlags.Fin, 3, 3), frames[0].Header);
        Assert.Equal("abc"u8.ToArray(), frames[0].Payload);
        Assert.Equal(new FrameHeader(FrameType.WindowUpdate, FrameFlags.Ack, 3, 1000), frames[1].Header);
        Assert.Equal(new FrameHeader(FrameType.Ping, FrameFlags.Syn, 0, 42), frames[2].Header);
        Assert.Equal(1u, frames[3].Header.Length);
    }

    [Fact]
    public void Header_OnTheWire_IsBigEndianTwelveBytes()
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.Write(new FrameHeader(FrameType.WindowUpdate, FrameFlags.Rst | FrameFlags.Ack, 0x01020304, 0x0A0B0C0D), output);

        Assert.Equal(new byte[] { 1, 1, 0, 0x0A, 1, 2, 3, 4, 0x0A, 0x0B, 0x0C, 0x0D }, output.WrittenSpan.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TryParse_RandomFramesSplitRandomly_YieldsTheSameFrames(int seed)
    {
        var random = new Random(seed);
        var output = new ArrayBufferWriter<byte>();
        var expected = new List<(FrameHeader, byte[])>();
        for (int i = 0; i < 200; i++)
        {
            var payload = new byte[random.Next(0, 3) == 0 ? 0 : random.Next(0, 5000)];
            random.NextBytes(payload);
            var header = new FrameHeader(FrameType.Data, (FrameFlags)random.Next(0, 16), (uint)random.Next(1, 1000), (uint)payload.Length);
            FrameWriter.WriteData(header.StreamId, header.Flags, payload, output);
            expected.Add((header, payload));
        }

        byte[] wire = output.WrittenSpan.ToArray();
        // Feed the parser the way a socket would: growing buffers split at random points, sometimes one byte at a time.
        var parsed = new List<(FrameHeader, byte[])>();
        int available = 0, start = 0;
        while (start < wire.Length)
        {
            available = Math.Min(wire.Length, available + (random.Next(0, 4) == 0 ? 1 : random.Next(1, 3000)));
            var buffer = Segmented(wire.AsMemory(start, available - start), random);
            foreach (var frame in ParseAll(ref buffer))
            {
                parsed.Add((frame.Header, frame.Payload));
            }

            start = available - (int)buffer.Length;
        }

        Assert.Equal(expected.Count, parsed.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Item1, parsed[i].Item1);
            Assert.Equal(expected[i].Item2, parsed[i].Item2);
        }
    }

    [Fact]
    public void TryParse_OversizedDataLength_ThrowsBeforePayloadArrives()
    {
        byte[] raw = [FrameHeader.CurrentVersion, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1];
        var error = Assert.Throws<MuxProtocolException>(() => FrameReader.TryParse(new ReadOnlySequence<byte>(raw), out _, out _, out _));
        Assert.Equal(GoAwayCode.ProtocolError, error.Code);
    }

    [Fact]
    public void TryParse_LargeWindowUpdateLength_IsNotAPayload()
    {
        byte[] raw = [FrameHeader.CurrentVersion, 1, 0, 0, 0, 0, 0, 1, 0x10, 0, 0, 0];
        Assert.True(FrameReader.TryParse(new ReadOnlySequence<byte>(raw), out var header, out var payload, out _));
        Assert.Equal(0x10000000u, header.Length);
        Assert.True(payload.IsEmpty);
    }

    [Fact]
    public void TryParse_PartialHeader_NeedsMoreData()
    {
        byte[] raw = [FrameHeader.CurrentVersion, 0, 0];
        Assert.False(FrameReader.TryParse(new ReadOnlySequence<byte>(raw), out _, out _, out _));
    }

    private static List<(FrameHeader Header, byte[] Payload)> ParseAll(ref ReadOnlySequence<byte> buffer)
    {
        var frames = new List<(FrameHeader, byte[])>();
        while (FrameReader.TryParse(buffer, out var header, out var payload, out var consumed))
        {
            frames.Add((header, payload.ToArray()));
            buffer = buffer.Slice(consumed);
        }

        return frames;
    }

    private static ReadOnlySequence<byte> Segmented(ReadOnlyMemory<byte> data, Random random)
    {
        if (data.Length < 2)
        {
            return new ReadOnlySequence<byte>(data);
        }

        Segment first = new(data[..1]), last = first;
        for (int offset = 1; offset < data.Length;)
        {
            int size = Math.Min(data.Length - offset, random.Next(1, 40));
            last = last.Append(data.Slice(offset, size));
            offset += size;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
