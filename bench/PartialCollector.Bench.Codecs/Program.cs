using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(PartialCollector.Bench.Codecs.DecodeBenchmarks).Assembly).Run(args);
