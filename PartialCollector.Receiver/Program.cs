using PartialCollector.Receiver;

ReceiverApplication.Build(args).Run();
